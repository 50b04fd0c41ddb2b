"""Delta activations in PyTorch (docs/delta.md): the forward pass of an ``RnnStack`` in which the
matrix-vector products see the last-sent values x_hat, h_hat (a value is sent where it moved by
more than the layer's threshold), exactly as rnnfab's float reference ``runFloatDelta``
(model/delta_run.ts) defines it, and a training loop with the thresholds in the forward pass.

Training uses a straight-through gradient (as the DeltaGRU/Spartus papers do): the forward value
of a product's input is v_hat, its gradient flows to v as if no threshold were there.

``python -m rnnfab.delta JOB.json`` runs the job of ``deno task finetune --delta`` (written by
prune/delta_finetune.ts): masked fine-tuning (``rnnfab.finetune.finetune_masked``, the BCR zero
mask held) of a ``DeltaStack``, whose forward pass is the delta forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
import sys
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .data import DataSet, batches, load_data, load_head
from .finetune import TrainConfig, finetune_masked
from .model_io import load_model, save_model
from .jobs import run_job_file
from .cells import cell_step
from .modules import RnnStack, last_outputs
from .train import train_epochs


def _per_layer(theta, layers: int) -> list[float]:
    values = list(theta) if isinstance(theta, (list, tuple)) else [float(theta)] * layers
    if len(values) != layers:
        raise ValueError(f"expected one threshold per layer ({layers}), got {len(values)}")
    return [float(v) for v in values]


def _encode(value: torch.Tensor, sent: torch.Tensor, theta: float, alive: torch.Tensor):
    """Fire where |value - sent| > theta on live sequences; returns (new sent, fired mask,
    straight-through input whose forward value is the new sent)."""
    fired = ((value - sent).abs() > theta) & (alive > 0)
    new_sent = torch.where(fired, value, sent).detach()
    return new_sent, fired, value + (new_sent - value).detach()


@dataclass
class DeltaOutput:
    """Outputs [B, T, out] and the fired counts per layer: ``fired_x[l]``, ``fired_h[l]`` (and
    ``fired_m[l]``, the projection input m, with ``theta_m``; zeros without) are [B, T] tensors
    (columns fired per sequence and step; zero past a sequence's end)."""

    outputs: torch.Tensor
    fired_x: list[torch.Tensor]
    fired_h: list[torch.Tensor]
    fired_m: list[torch.Tensor]


def delta_forward(stack: RnnStack, x: torch.Tensor, theta_x, theta_h,
                  lengths: Optional[torch.Tensor] = None, theta_m=None) -> DeltaOutput:
    """The delta forward pass of ``stack`` on a padded batch (thresholds in real units, one
    number or one per layer). With zero thresholds it equals ``stack(x, lengths)``. ``theta_m``
    (an LSTM with projection only; None: the dense projection) delta-codes the projection's
    input m: h = W_hr m_hat."""
    x, alive = stack.prepare_batch(x, lengths)
    thetas_x = _per_layer(theta_x, stack.num_layers)
    thetas_h = _per_layer(theta_h, stack.num_layers)
    thetas_m = (_per_layer(theta_m, stack.num_layers) if theta_m is not None
                else [None] * stack.num_layers)
    if theta_m is not None and stack.proj_size == 0:
        raise ValueError("theta_m needs an LSTM with projection (proj_size > 0)")
    fired_x, fired_h, fired_m = [], [], []
    layer_input = x
    for layer in range(stack.num_layers):
        layer_input, fx, fh, fm = _delta_layer(stack, layer, layer_input, alive,
                                               thetas_x[layer], thetas_h[layer], thetas_m[layer])
        fired_x.append(fx)
        fired_h.append(fh)
        fired_m.append(fm)
    return DeltaOutput(layer_input, fired_x, fired_h, fired_m)


def _delta_layer(stack: RnnStack, layer: int, x: torch.Tensor, alive: torch.Tensor,
                 theta_x: float, theta_h: float, theta_m: Optional[float]):
    batch, steps, inputs = x.shape
    w_ih = stack._weight(f"weight_ih_l{layer}")
    w_hh = stack._weight(f"weight_hh_l{layer}")
    b_ih = getattr(stack, f"bias_ih_l{layer}")
    b_hh = getattr(stack, f"bias_hh_l{layer}")
    peephole = (stack._weight(f"peephole_l{layer}")
                if hasattr(stack, f"peephole_l{layer}") else None)
    w_hr = stack._weight(f"weight_hr_l{layer}") if stack.proj_size > 0 else None
    h = x.new_zeros(batch, stack.output_size)
    c = x.new_zeros(batch, stack.hidden_size)
    x_hat = x.new_zeros(batch, inputs)
    h_hat = x.new_zeros(batch, stack.output_size)
    m_hat = x.new_zeros(batch, stack.hidden_size)
    outputs, fired_x, fired_h, fired_m = [], [], [], []
    for t in range(steps):
        live = alive[:, t].unsqueeze(1)
        x_hat, fx, x_seen = _encode(x[:, t], x_hat, theta_x, live)
        h_hat, fh, h_seen = _encode(h, h_hat, theta_h, live)
        fired_x.append(fx.sum(dim=1))
        fired_h.append(fh.sum(dim=1))
        gx = torch.matmul(x_seen, w_ih.t()) + b_ih
        gh = torch.matmul(h_seen, w_hh.t()) + b_hh
        h_new, c_new = cell_step(stack.kind, gx, gh, h, c, peephole,
                                 w_hr if theta_m is None else None)
        if theta_m is not None:  # h = W_hr m_hat (the projection memories' invariant)
            m_hat, fm, m_seen = _encode(h_new, m_hat, theta_m, live)
            h_new = torch.matmul(m_seen, w_hr.t())
            fired_m.append(fm.sum(dim=1))
        else:
            fired_m.append(torch.zeros_like(fired_x[-1]))
        if stack.kind == "lstm":
            c = live * c_new + (1 - live) * c
        h = live * h_new + (1 - live) * h
        outputs.append(h)
    return (torch.stack(outputs, dim=1), torch.stack(fired_x, dim=1), torch.stack(fired_h, dim=1),
            torch.stack(fired_m, dim=1))


@dataclass
class DeltaTrainConfig:
    """Training with thresholds in the forward pass."""

    theta_x: float | Sequence[float] = 0.0
    theta_h: float | Sequence[float] = 0.0
    theta_m: Optional[float | Sequence[float]] = None
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 32
    seed: int = 0


def _count_fired(stack: RnnStack, run: DeltaOutput, steps: int, theta_m, fired, slots) -> None:
    """Adds a run's fired columns and column slots per layer: x and h parts, and the projection
    input m (H columns) where ``theta_m`` delta-codes it."""
    for layer in range(stack.num_layers):
        fired[layer] += float(run.fired_x[layer].sum() + run.fired_h[layer].sum())
        columns = (stack.input_size if layer == 0 else stack.output_size) + stack.output_size
        if theta_m is not None:
            fired[layer] += float(run.fired_m[layer].sum())
            columns += stack.hidden_size
        slots[layer] += steps * columns


@torch.no_grad()
def delta_accuracy(stack: RnnStack, head: torch.nn.Linear, data: DataSet, theta_x, theta_h,
                   theta_m=None):
    """Accuracy on the last step and fired fractions per layer (x, h and, with ``theta_m``, m
    together), measured in float PyTorch with the delta forward pass."""
    correct, fired, slots = 0, np.zeros(stack.num_layers), np.zeros(stack.num_layers)
    dtype = next(stack.parameters()).dtype
    for batch in batches(data, 256, dtype=dtype):
        run = delta_forward(stack, batch.x, theta_x, theta_h, batch.lengths, theta_m)
        logits = head(last_outputs(run.outputs, batch.lengths))
        correct += int((logits.argmax(-1) == batch.labels).sum())
        _count_fired(stack, run, int(batch.lengths.sum()), theta_m, fired, slots)
    return correct / len(data), (fired / np.maximum(slots, 1)).tolist()


def train_delta(stack: RnnStack, head: torch.nn.Linear, data: DataSet, config: DeltaTrainConfig,
                log=print) -> None:
    """Train ``stack`` and ``head`` on the last step's output (cross-entropy), with the
    thresholds in the forward pass (straight-through gradient); zero thresholds train densely."""
    torch.manual_seed(config.seed)

    def batch_loss(batch) -> torch.Tensor:
        run = delta_forward(stack, batch.x, config.theta_x, config.theta_h, batch.lengths,
                            config.theta_m)
        return F.cross_entropy(head(last_outputs(run.outputs, batch.lengths)), batch.labels)

    train_epochs(list(stack.parameters()) + list(head.parameters()), data, epochs=config.epochs,
                 lr=config.lr, batch_size=config.batch_size, seed=config.seed,
                 batch_loss=batch_loss, dtype=next(stack.parameters()).dtype,
                 on_epoch=lambda epoch, loss: log(f"epoch {epoch}: train loss {loss:.4f}"))


class DeltaStack(RnnStack):
    """An ``RnnStack`` whose forward pass is the delta forward pass with its thresholds
    ``theta_x``, ``theta_h`` (and ``theta_m``, None: dense projection; real units; one number or
    one per layer): the same parameters and state dict, so the masked fine-tuning loop trains it
    unchanged (straight-through)."""

    theta_x: float | Sequence[float] = 0.0
    theta_h: float | Sequence[float] = 0.0
    theta_m: Optional[float | Sequence[float]] = None

    def forward(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        return delta_forward(self, x, self.theta_x, self.theta_h, lengths, self.theta_m).outputs


def delta_stack(model, theta_x, theta_h, dtype=torch.float32, theta_m=None) -> DeltaStack:
    """A ``DeltaStack`` holding an rnnfab model's weights, with the given thresholds."""
    stack = DeltaStack.from_rnnfab(model, dtype)
    _per_layer(theta_x, stack.num_layers)
    _per_layer(theta_h, stack.num_layers)
    if theta_m is not None:
        _per_layer(theta_m, stack.num_layers)
        if stack.proj_size == 0:
            raise ValueError("theta_m needs an LSTM with projection (proj_size > 0)")
    stack.theta_x, stack.theta_h, stack.theta_m = theta_x, theta_h, theta_m
    return stack


@torch.no_grad()
def fired_fractions(stack: RnnStack, data: DataSet, theta_x, theta_h,
                    theta_m=None) -> list[float]:
    """Fired fraction per layer (x, h and, with ``theta_m``, m columns together) of the delta
    forward pass over every valid step of ``data`` (float PyTorch)."""
    fired, slots = np.zeros(stack.num_layers), np.zeros(stack.num_layers)
    dtype = next(stack.parameters()).dtype
    for batch in batches(data, 256, dtype=dtype):
        run = delta_forward(stack, batch.x, theta_x, theta_h, batch.lengths, theta_m)
        _count_fired(stack, run, int(batch.lengths.sum()), theta_m, fired, slots)
    return (fired / np.maximum(slots, 1)).tolist()


def run_delta_job(job: dict) -> dict:
    """Masked fine-tuning with the thresholds ``job["delta"]`` in the forward pass: the teacher
    (distill objective) is the dense model without thresholds; the zero mask of ``job["start"]``
    is held and checked. Returns the history and the fired fractions before and after."""
    torch.set_num_threads(int(os.environ.get("RNNFAB_TORCH_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    theta_x, theta_h = job["delta"]["thetaX"], job["delta"]["thetaH"]
    theta_m = job["delta"].get("thetaM")
    teacher = RnnStack.from_rnnfab(load_model(job["dense"])).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = delta_stack(load_model(job["start"]), theta_x, theta_h, theta_m=theta_m)
    data = load_data(job["data"])
    head = load_head(job["head"]).to(torch.float32) if job.get("head") else None
    if head is not None:
        for p in head.parameters():
            p.requires_grad_(False)
    qat = job.get("qat")
    if qat:
        qat = {"weight_bits": qat["weightBits"], "activation_bits": qat["activationBits"],
               "activation_frac": qat["activationFrac"]}
    config = TrainConfig(objective=job["objective"], epochs=job["epochs"], lr=job["lr"],
                         batch_size=job["batchSize"], seed=job["seed"], held_out=job["heldOut"],
                         qat=qat, log=lambda line: print(line, flush=True))
    before = fired_fractions(student, data, theta_x, theta_h, theta_m)
    history = finetune_masked(student, teacher, data, head, config)
    after = fired_fractions(student, data, theta_x, theta_h, theta_m)
    print(f"fired fraction per layer (float, all of the data): before "
          f"{', '.join(f'{f * 100:.1f}%' for f in before)}; after "
          f"{', '.join(f'{f * 100:.1f}%' for f in after)}", flush=True)
    save_model(student.to_rnnfab(), job["out"])
    return {"history": history, "firedBefore": before, "firedAfter": after}


def main(argv: list[str]) -> int:
    """``python -m rnnfab.delta JOB.json``: run the job, write its result to job["history"]."""
    return run_job_file(argv, "delta", run_delta_job)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
