"""The training loops behind ``deno task finetune`` (docs/finetune.md), usable on their own:

- ``finetune_masked``: fine-tune a pruned model with its BCR zero mask held, either to reproduce
  the dense model's outputs (``distill``) or to minimise the cross-entropy of a fixed linear head
  against labels (``labels``); optionally through rnnfab's fixed-point formats (QAT).
- ``admm_train``: ADMM (as RTMobile/GRIM): alternate the task update of W, penalised by
  rho/2 ||W - Z + U||^2, with Z = projection of W + U onto the BCR set and U += W - Z.

Progress goes to stdout, one line per epoch. ``python -m rnnfab.finetune JOB.json`` runs a job
that rnnfab's TypeScript side wrote (it has validated every file and flag already)."""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .bcr import project_bcr
from .data import DataSet, Batch, batches, load_data, load_head, make_batch
from .mask import bcr_masks, hold_masks, masks_hold
from .model_io import load_model, save_model
from .modules import RnnStack, last_outputs
from .quant import FixedPointQat


@dataclass
class TrainConfig:
    """What one training run does."""

    objective: str = "distill"  # or "labels"
    epochs: int = 10
    lr: float = 2e-3
    batch_size: int = 32
    seed: int = 1
    held_out: float = 0.1
    qat: Optional[dict] = None  # FixedPointQat arguments: weight_bits, activation_bits, ...
    log: Callable[[str], None] = print


def split(data: DataSet, held_out: float, seed: int) -> tuple[DataSet, DataSet]:
    """A deterministic train / held-out split (the held-out part is ``held_out`` of the data,
    at least one sequence when there are two or more)."""
    order = np.random.default_rng(seed).permutation(len(data))
    count = min(len(data) - 1, max(1, math.ceil(held_out * len(data)))) if len(data) > 1 else 0
    return data.subset(order[count:]), data.subset(order[:count] if count else order)


def task_loss(outputs: torch.Tensor, batch: Batch, head) -> torch.Tensor:
    """Cross-entropy of the head on the last step (per-sequence labels) or every step."""
    if batch.labels.dim() == 2:
        logits = head(outputs.to(head.weight.dtype))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.labels.reshape(-1),
                               ignore_index=-100)
    return F.cross_entropy(head(last_outputs(outputs, batch.lengths).to(head.weight.dtype)),
                           batch.labels)


def valid_steps(batch: Batch, like: torch.Tensor) -> torch.Tensor:
    """[B, T, 1] weights: 1 on a sequence's steps, 0 on padding."""
    steps = like.shape[1]
    return (torch.arange(steps).unsqueeze(0) < batch.lengths.unsqueeze(1)).to(like.dtype).unsqueeze(2)


def distill_loss(outputs: torch.Tensor, teacher: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Mean squared difference from the dense model's outputs over all valid steps."""
    weight = valid_steps(batch, outputs)
    return ((outputs - teacher) ** 2 * weight).sum() / (weight.sum() * outputs.shape[2])


@torch.no_grad()
def evaluate(student: RnnStack, teacher: Optional[RnnStack], data: DataSet, head=None,
             batch_size: int = 256) -> dict:
    """Held-out figures: distillation loss and relative RMS error against the teacher (when
    given), and the head's cross-entropy and accuracy (when the data has labels)."""
    totals = {"sq": 0.0, "ref": 0.0, "n": 0.0, "ce": 0.0, "correct": 0, "count": 0}
    for batch in batches(data, batch_size):
        outputs = student(batch.x, batch.lengths)
        weight = valid_steps(batch, outputs)
        if teacher is not None:
            reference = teacher(batch.x, batch.lengths)
            totals["sq"] += float((((outputs - reference) ** 2) * weight).sum())
            totals["ref"] += float(((reference ** 2) * weight).sum())
            totals["n"] += float(weight.sum()) * outputs.shape[2]
        if head is not None and batch.labels is not None:
            if batch.labels.dim() == 2:
                logits = head(outputs.to(head.weight.dtype))
                valid = batch.labels != -100
                totals["ce"] += float(F.cross_entropy(logits[valid], batch.labels[valid],
                                                      reduction="sum"))
                totals["correct"] += int((logits.argmax(-1)[valid] == batch.labels[valid]).sum())
                totals["count"] += int(valid.sum())
            else:
                logits = head(last_outputs(outputs, batch.lengths).to(head.weight.dtype))
                totals["ce"] += float(F.cross_entropy(logits, batch.labels, reduction="sum"))
                totals["correct"] += int((logits.argmax(-1) == batch.labels).sum())
                totals["count"] += len(batch.labels)
    result = {}
    if teacher is not None:
        result["distillLoss"] = totals["sq"] / max(totals["n"], 1)
        result["relativeRmsError"] = math.sqrt(totals["sq"] / max(totals["ref"], 1e-30))
    if totals["count"]:
        result["loss"] = totals["ce"] / totals["count"]
        result["accuracy"] = totals["correct"] / totals["count"]
    return result


def _better(new: dict, old: Optional[dict]) -> bool:
    if old is None:
        return True
    if "accuracy" in new:
        return (new["accuracy"], -new["loss"]) > (old["accuracy"], -old["loss"])
    return new["distillLoss"] < old["distillLoss"]


def _describe(figures: dict) -> str:
    parts = []
    if "accuracy" in figures:
        parts.append(f"held-out accuracy {figures['accuracy'] * 100:.2f}%, cross-entropy {figures['loss']:.4f}")
    if "relativeRmsError" in figures:
        parts.append(f"relative RMS error vs dense {figures['relativeRmsError']:.5f}")
    return "; ".join(parts)


def _train_epochs(student, teacher, head, train, held, config: TrainConfig, extra_loss=None,
                  after_epoch=None, label="fine-tune", select_best=True) -> list[dict]:
    """The shared epoch loop; keeps the best held-out state when ``select_best``."""
    generator = np.random.default_rng(config.seed)
    optimizer = torch.optim.Adam(student.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: 0.5 * (1 + math.cos(math.pi * epoch / max(config.epochs, 1))))
    hold = getattr(student, "_mask_hold_factory", None)
    holder = hold(optimizer) if hold else None
    qat = FixedPointQat(student, **config.qat) if config.qat else None
    figures = evaluate(student, teacher, held, head)
    history = [{"epoch": 0, "phase": label, **figures}]
    config.log(f"{label} epoch 0/{config.epochs}: {_describe(figures)}")
    best, best_state = figures, {k: v.clone() for k, v in student.state_dict().items()}
    for epoch in range(1, config.epochs + 1):
        total, count = 0.0, 0
        for batch in batches(train, config.batch_size, generator.permutation(len(train))):
            if qat:
                qat.refresh()
            outputs = student(batch.x, batch.lengths)
            if config.objective == "labels":
                loss = task_loss(outputs, batch, head)
            else:
                with torch.no_grad():
                    reference = teacher(batch.x, batch.lengths)
                loss = distill_loss(outputs, reference, batch)
            full = loss + (extra_loss() if extra_loss else 0)
            optimizer.zero_grad()
            full.backward()
            optimizer.step()
            total += loss.item() * len(batch.lengths)
            count += len(batch.lengths)
        schedule.step()
        if after_epoch:
            after_epoch(epoch)
        if qat:
            qat.refresh()
        figures = evaluate(student, teacher, held, head)
        history.append({"epoch": epoch, "phase": label, "trainLoss": total / count, **figures})
        config.log(f"{label} epoch {epoch}/{config.epochs}: train {config.objective} loss "
                   f"{total / count:.5f}; {_describe(figures)}")
        if select_best and _better(figures, best):
            best, best_state = figures, {k: v.clone() for k, v in student.state_dict().items()}
    if qat:
        qat.remove()
    if holder:
        holder.remove()
    if select_best:
        student.load_state_dict(best_state)
        config.log(f"{label}: kept the best held-out state: {_describe(best)}")
    return history


def finetune_masked(student: RnnStack, teacher: Optional[RnnStack], data: DataSet, head=None,
                    config: TrainConfig = TrainConfig()) -> list[dict]:
    """Fine-tune ``student`` with its zero mask held (the mask is read from its zeros now)."""
    torch.manual_seed(config.seed)
    masks = bcr_masks(student)
    student._mask_hold_factory = lambda optimizer: hold_masks(student, optimizer, masks)
    train, held = split(data, config.held_out, config.seed)
    try:
        history = _train_epochs(student, teacher, head, train, held, config)
    finally:
        del student._mask_hold_factory
    if not masks_hold(student, masks):
        raise RuntimeError("the BCR mask changed during fine-tuning")
    return history


def admm_train(student: RnnStack, teacher: Optional[RnnStack], data: DataSet, head,
               rates: dict, config: TrainConfig, rho: float = 1e-3,
               rho_growth: float = 1.3) -> list[dict]:
    """ADMM towards the BCR set given by ``rates`` ({name: {"block": [r, c], "colKeep",
    "rowKeep"}}); leaves ``student`` dense (the caller prunes it, then fine-tunes masked)."""
    torch.manual_seed(config.seed)
    names = list(rates)

    def project(name, value):
        rate = rates[name]
        return project_bcr(value, tuple(rate["block"]), rate["colKeep"], rate["rowKeep"])

    with torch.no_grad():
        z = {n: project(n, getattr(student, n).detach()) for n in names}
        u = {n: torch.zeros_like(z[n]) for n in names}
    state = {"rho": rho}

    def penalty():
        return sum(state["rho"] / 2 * ((getattr(student, n) - z[n] + u[n]) ** 2).sum()
                   for n in names)

    def after_epoch(epoch):
        with torch.no_grad():
            for n in names:
                w = getattr(student, n).detach()
                z[n] = project(n, w + u[n])
                u[n] += w - z[n]
        gap = math.sqrt(sum(float(((getattr(student, n) - z[n]) ** 2).sum()) for n in names))
        config.log(f"admm epoch {epoch}: rho {state['rho']:.2e}, ||W - Z|| {gap:.4f}")
        state["rho"] *= rho_growth

    train, held = split(data, config.held_out, config.seed)
    return _train_epochs(student, teacher, head, train, held, config, extra_loss=penalty,
                         after_epoch=after_epoch, label="admm", select_best=False)


def run_job(job: dict) -> dict:
    """Run a job written by rnnfab's TypeScript side; returns the history."""
    torch.set_num_threads(int(os.environ.get("RNNFAB_TORCH_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    teacher = RnnStack.from_rnnfab(load_model(job["dense"])).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = RnnStack.from_rnnfab(load_model(job["start"]))
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
    if job["phase"] == "admm":
        history = admm_train(student, teacher, data, head, job["rates"], config,
                             rho=job.get("rho", 1e-3))
    else:
        history = finetune_masked(student, teacher, data, head, config)
    save_model(student.to_rnnfab(), job["out"])
    return {"history": history}


def main(argv: list[str]) -> int:
    """``python -m rnnfab.finetune JOB.json``: run the job, write its history beside the output."""
    if len(argv) != 1:
        print("usage: python -m rnnfab.finetune JOB.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        job = json.load(handle)
    result = run_job(job)
    with open(job["history"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
