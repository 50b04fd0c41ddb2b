"""``RnnStack``: an LSTM/GRU stack in PyTorch with exactly rnnfab's float semantics
(model/float.ts): PyTorch's gate order and state-dict names, LSTM peepholes (i, f see c(t-1); o
sees c(t)) and projection, zero initial states, and padded batches of sequences of different
lengths (a sequence's state stops changing after its last step)."""

from __future__ import annotations

from typing import Callable, Optional, Tuple

import numpy as np
import torch
from torch import nn

from .cells import cell_step
from .model_io import RnnfabModel, matrix_names

WeightTransform = Callable[[str, torch.Tensor], torch.Tensor]


class RnnStack(nn.Module):
    """A stack of LSTM or GRU layers whose parameters carry PyTorch's state-dict names
    (``weight_ih_l0``, ``bias_hh_l1``, ``weight_hr_l0``, ``peephole_l0``)."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 proj_size: int = 0, peepholes: bool = False, seed: Optional[int] = None):
        super().__init__()
        if kind not in ("lstm", "gru"):
            raise ValueError(f"kind: expected lstm or gru, got {kind}")
        self.kind = kind
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.proj_size = proj_size if kind == "lstm" else 0
        self.weight_transform: Optional[WeightTransform] = None
        self.input_transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None
        gates = 4 if kind == "lstm" else 3
        out = self.output_size
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        bound = 1.0 / hidden_size ** 0.5

        def uniform(*shape):
            return nn.Parameter(
                (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)

        for layer in range(num_layers):
            inputs = input_size if layer == 0 else out
            setattr(self, f"weight_ih_l{layer}", uniform(gates * hidden_size, inputs))
            setattr(self, f"weight_hh_l{layer}", uniform(gates * hidden_size, out))
            setattr(self, f"bias_ih_l{layer}", uniform(gates * hidden_size))
            setattr(self, f"bias_hh_l{layer}", uniform(gates * hidden_size))
            if self.proj_size > 0:
                setattr(self, f"weight_hr_l{layer}", uniform(self.proj_size, hidden_size))
            if peepholes and kind == "lstm":
                setattr(self, f"peephole_l{layer}", uniform(3 * hidden_size))

    @property
    def output_size(self) -> int:
        """Size of the last layer's output h(t)."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def matrix_names(self) -> list[str]:
        """The weight matrices that BCR pruning touches, in rnnfab's order."""
        return matrix_names(self.num_layers, self.proj_size)

    @classmethod
    def from_rnnfab(cls, model: RnnfabModel, dtype=torch.float32) -> "RnnStack":
        """A module holding an rnnfab model's weights (converted to ``dtype``)."""
        peepholes = any(name.startswith("peephole_l") for name in model.tensors)
        stack = cls(model.kind, model.input_size, model.hidden_size, model.num_layers,
                    model.proj_size, peepholes=peepholes)
        with torch.no_grad():
            for name, value in model.tensors.items():
                getattr(stack, name).copy_(torch.from_numpy(np.asarray(value, dtype=np.float64)))
        return stack.to(dtype)

    def to_rnnfab(self) -> RnnfabModel:
        """Export to an rnnfab model (float64 copies of every parameter)."""
        tensors = {name: p.detach().to(torch.float64).cpu().numpy().copy()
                   for name, p in self.named_parameters()}
        return RnnfabModel(self.kind, self.input_size, self.hidden_size, self.num_layers,
                           self.proj_size, tensors)

    def _weight(self, name: str) -> torch.Tensor:
        weight = getattr(self, name)
        return self.weight_transform(name, weight) if self.weight_transform else weight

    def prepare_batch(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The first layer's input (``x`` [B, T, input_size] through ``input_transform``, if any)
        and the alive mask [B, T] in ``x``'s dtype: 1 up to each sequence's length (all steps
        when ``lengths`` is None), 0 past it. Every forward pass over the stack starts here."""
        batch, steps, _ = x.shape
        if self.input_transform is not None:
            x = self.input_transform(x)
        if lengths is None:
            lengths = torch.full((batch,), steps, dtype=torch.long)
        alive = (torch.arange(steps).unsqueeze(0) < lengths.unsqueeze(1)).to(x.dtype)
        return x, alive

    def forward(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Outputs of the last layer at every step, [B, T, output_size], for a padded batch
        ``x`` [B, T, input_size]; steps past a sequence's length repeat its last state."""
        layer_input, alive = self.prepare_batch(x, lengths)
        for layer in range(self.num_layers):
            layer_input = self._layer(layer, layer_input, alive)
        return layer_input

    def _layer(self, layer: int, x: torch.Tensor, alive: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        hidden = self.hidden_size
        w_ih = self._weight(f"weight_ih_l{layer}")
        w_hh = self._weight(f"weight_hh_l{layer}")
        gx_all = torch.matmul(x, w_ih.t()) + getattr(self, f"bias_ih_l{layer}")
        b_hh = getattr(self, f"bias_hh_l{layer}")
        h = x.new_zeros(batch, self.output_size)
        c = x.new_zeros(batch, hidden)
        peephole = (self._weight(f"peephole_l{layer}")
                    if hasattr(self, f"peephole_l{layer}") else None)
        w_hr = self._weight(f"weight_hr_l{layer}") if self.proj_size > 0 else None
        outputs = []
        for t in range(steps):
            gx = gx_all[:, t]
            gh = torch.matmul(h, w_hh.t()) + b_hh
            keep = alive[:, t].unsqueeze(1)
            h_new, c_new = cell_step(self.kind, gx, gh, h, c, peephole, w_hr)
            if self.kind == "lstm":
                c = keep * c_new + (1 - keep) * c
            h = keep * h_new + (1 - keep) * h
            outputs.append(h)
        return torch.stack(outputs, dim=1)


def last_outputs(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The output at each sequence's last step, [B, output_size]."""
    index = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, outputs.shape[2])
    return outputs.gather(1, index).squeeze(1)
