"""rnnfab model files from Python: ``{"kind", "inputSize", "hiddenSize", "numLayers", "projSize",
"weights"}`` with weights inline (nested lists under PyTorch state-dict names) or in a
``.safetensors`` file beside the JSON file (README.md, "Model files")."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np



def matrix_names(num_layers: int, proj_size: int) -> list[str]:
    """The weight matrices that BCR pruning touches, in rnnfab's order (as model/model.ts)."""
    names = []
    for layer in range(num_layers):
        names += [f"weight_ih_l{layer}", f"weight_hh_l{layer}"]
        if proj_size > 0:
            names.append(f"weight_hr_l{layer}")
    return names

@dataclass
class RnnfabModel:
    """An LSTM/GRU stack as rnnfab stores it: a header and float64 tensors by state-dict name."""

    kind: str
    input_size: int
    hidden_size: int
    num_layers: int
    proj_size: int = 0
    tensors: dict[str, np.ndarray] = field(default_factory=dict)

    def gates(self) -> int:
        """4 for LSTM (i, f, g, o), 3 for GRU (r, z, n)."""
        return 4 if self.kind == "lstm" else 3

    def output_size(self) -> int:
        """Size of a layer's output h(t)."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def matrix_names(self) -> list[str]:
        """The weight matrices that BCR pruning touches, in rnnfab's order."""
        return matrix_names(self.num_layers, self.proj_size)

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor name and shape a model of this header has (biases included)."""
        rows = self.gates() * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.output_size()
            shapes[f"weight_ih_l{layer}"] = (rows, inputs)
            shapes[f"weight_hh_l{layer}"] = (rows, self.output_size())
            shapes[f"bias_ih_l{layer}"] = (rows,)
            shapes[f"bias_hh_l{layer}"] = (rows,)
            if self.proj_size > 0:
                shapes[f"weight_hr_l{layer}"] = (self.proj_size, self.hidden_size)
        return shapes

    def check(self, source: str = "model") -> None:
        """Raise ValueError naming the first tensor that is missing or of the wrong shape."""
        if self.kind not in ("lstm", "gru"):
            raise ValueError(f"{source}: kind: expected lstm or gru, got {self.kind}")
        for name, shape in self.expected_shapes().items():
            if name not in self.tensors:
                raise ValueError(f"{source}: {name}: missing tensor (expected shape {list(shape)})")
            if tuple(self.tensors[name].shape) != shape:
                raise ValueError(
                    f"{source}: {name}: expected shape {list(shape)}, got {list(self.tensors[name].shape)}"
                )
        for name in self.tensors:
            if name.startswith("peephole_l"):
                if self.kind != "lstm" or self.tensors[name].shape != (3 * self.hidden_size,):
                    raise ValueError(f"{source}: {name}: expected 3H values of an LSTM")
            elif name not in self.expected_shapes():
                raise ValueError(f"{source}: {name}: unexpected tensor")


def load_model(path: str) -> RnnfabModel:
    """Read an rnnfab model file (JSON; weights inline or in a safetensors file beside it)."""
    with open(path, encoding="utf-8") as handle:
        value = json.load(handle)
    weights = value["weights"]
    if isinstance(weights, str):
        from safetensors.numpy import load_file

        tensors = {k: np.asarray(v, dtype=np.float64) for k, v in load_file(
            os.path.join(os.path.dirname(os.path.abspath(path)), weights)).items()}
    else:
        tensors = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    for key, item in value.items():
        if key.startswith("peephole_l"):
            tensors[key] = np.asarray(item, dtype=np.float64)
    model = RnnfabModel(
        kind=value["kind"],
        input_size=int(value["inputSize"]),
        hidden_size=int(value["hiddenSize"]),
        num_layers=int(value["numLayers"]),
        proj_size=int(value.get("projSize", 0) or 0),
        tensors=tensors,
    )
    rows = model.gates() * model.hidden_size
    if not any(name.startswith("bias_") for name in tensors):
        for layer in range(model.num_layers):
            tensors[f"bias_ih_l{layer}"] = np.zeros(rows)
            tensors[f"bias_hh_l{layer}"] = np.zeros(rows)
    model.check(path)
    return model


def _atomic_write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save_model(model: RnnfabModel, path: str, safetensors: bool = False, dtype=np.float32) -> None:
    """Write an rnnfab model file atomically. Weights are rounded to ``dtype`` (float32 by
    default, as PyTorch trains); exact zeros stay exact zeros. With ``safetensors`` the weights go
    to ``<name>.safetensors`` beside the JSON file."""
    model.check(path)
    header = {
        "format": "rnnfab-model",
        "version": 1,
        "kind": model.kind,
        "inputSize": model.input_size,
        "hiddenSize": model.hidden_size,
        "numLayers": model.num_layers,
        "projSize": model.proj_size,
    }
    tensors = {k: np.ascontiguousarray(v, dtype=dtype) for k, v in model.tensors.items()}
    if safetensors:
        from safetensors.numpy import save

        name = os.path.basename(path)
        name = (name[:-5] if name.lower().endswith(".json") else name) + ".safetensors"
        _atomic_write(os.path.join(os.path.dirname(os.path.abspath(path)), name), save(tensors))
        header["weights"] = name
    else:
        header["weights"] = {k: v.astype(np.float64).tolist() for k, v in tensors.items()}
    _atomic_write(path, (json.dumps(header) + "\n").encode("utf-8"))
