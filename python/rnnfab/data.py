"""rnnfab data files and heads from Python.

A data file is JSON ``{"sequences": [[[...], ...], ...], "labels": [...]}`` (sequences may differ
in length; labels optional, one class id per sequence or one list per sequence for per-step
labels) or a safetensors file with ``sequences`` [N, T, I] (padded), ``lengths`` [N] and
``labels`` [N] or [N, T]. A head is ``{"weight": [[...]], "bias": [...]}``, a linear layer on the
last layer's output. rnnfab (TypeScript) validates these files before training; the readers here
check shapes only."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .model_io import _atomic_write


@dataclass
class DataSet:
    """Sequences (each [T_n, I], float64), and labels: None, a list of ints (per sequence) or a
    list of int arrays (per step)."""

    sequences: list[np.ndarray]
    labels: Optional[list] = None

    @property
    def per_step(self) -> bool:
        """Whether the labels are one per step."""
        return self.labels is not None and len(self.labels) > 0 and np.ndim(self.labels[0]) == 1

    def subset(self, indices) -> "DataSet":
        """The sequences (and labels) at ``indices``, in that order."""
        labels = None if self.labels is None else [self.labels[i] for i in indices]
        return DataSet([self.sequences[i] for i in indices], labels)

    def __len__(self) -> int:
        return len(self.sequences)


@dataclass
class Batch:
    """A padded batch: ``x`` [B, T, I], ``lengths`` [B], ``labels`` [B] or [B, T] (-100 past a
    sequence's end) or None."""

    x: torch.Tensor
    lengths: torch.Tensor
    labels: Optional[torch.Tensor]


def load_data(path: str) -> DataSet:
    """Read a data file (JSON or safetensors)."""
    if path.lower().endswith(".safetensors"):
        from safetensors.numpy import load_file

        tensors = load_file(path)
        x = np.asarray(tensors["sequences"], dtype=np.float64)
        lengths = tensors.get("lengths")
        lengths = [x.shape[1]] * x.shape[0] if lengths is None else [int(v) for v in lengths]
        sequences = [x[i, :n] for i, n in enumerate(lengths)]
        labels = tensors.get("labels")
        if labels is not None:
            labels = ([int(v) for v in labels] if labels.ndim == 1
                      else [np.asarray(labels[i, :n], dtype=np.int64) for i, n in enumerate(lengths)])
        return DataSet(sequences, labels)
    with open(path, encoding="utf-8") as handle:
        value = json.load(handle)
    sequences = [np.asarray(s, dtype=np.float64) for s in value["sequences"]]
    labels = value.get("labels")
    if labels is not None and len(labels) > 0 and isinstance(labels[0], list):
        labels = [np.asarray(l, dtype=np.int64) for l in labels]
    return DataSet(sequences, labels)


def _round(values: np.ndarray, digits: Optional[int]) -> list:
    return (np.round(values, digits) if digits is not None else values).tolist()


def save_data(data: DataSet, path: str, digits: Optional[int] = None) -> None:
    """Write a JSON data file atomically (values rounded to ``digits`` decimals when given)."""
    for sequence in data.sequences:
        if not np.all(np.isfinite(sequence)):
            raise ValueError("save_data: sequences hold a non-finite value")
    value = {"sequences": [_round(np.asarray(s, dtype=np.float64), digits) for s in data.sequences]}
    if data.labels is not None:
        value["labels"] = [np.asarray(l).tolist() if np.ndim(l) else int(l) for l in data.labels]
    _atomic_write(path, (json.dumps(value, separators=(",", ":")) + "\n").encode("utf-8"))


def batches(data: DataSet, batch_size: int, order=None, dtype=torch.float32):
    """Padded batches over ``data`` in ``order`` (default: file order)."""
    order = list(range(len(data))) if order is None else list(order)
    for start in range(0, len(order), batch_size):
        yield make_batch(data.subset(order[start:start + batch_size]), dtype)


def make_batch(data: DataSet, dtype=torch.float32) -> Batch:
    """Pad a data set into one batch."""
    lengths = [len(s) for s in data.sequences]
    steps = max(lengths)
    x = np.zeros((len(data), steps, data.sequences[0].shape[1]))
    for i, sequence in enumerate(data.sequences):
        x[i, :len(sequence)] = sequence
    labels = None
    if data.labels is not None:
        if data.per_step:
            y = np.full((len(data), steps), -100, dtype=np.int64)
            for i, l in enumerate(data.labels):
                y[i, :len(l)] = l
            labels = torch.from_numpy(y)
        else:
            labels = torch.tensor([int(l) for l in data.labels], dtype=torch.long)
    return Batch(torch.from_numpy(x).to(dtype), torch.tensor(lengths, dtype=torch.long), labels)


def load_head(path: str) -> torch.nn.Linear:
    """Read a head file into a ``torch.nn.Linear`` (float64)."""
    with open(path, encoding="utf-8") as handle:
        value = json.load(handle)
    weight = torch.tensor(value["weight"], dtype=torch.float64)
    bias = torch.tensor(value["bias"], dtype=torch.float64)
    head = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=torch.float64)
    with torch.no_grad():
        head.weight.copy_(weight)
        head.bias.copy_(bias)
    return head


def save_head(head: torch.nn.Linear, path: str) -> None:
    """Write a head file atomically (values rounded to float32, as trained)."""
    weight = head.weight.detach().to(torch.float32).to(torch.float64).tolist()
    bias = head.bias.detach().to(torch.float32).to(torch.float64).tolist()
    if not all(math.isfinite(v) for row in weight for v in row):
        raise ValueError("save_head: non-finite weight")
    _atomic_write(path, (json.dumps({"weight": weight, "bias": bias}) + "\n").encode("utf-8"))
