"""Masked fine-tuning behind ``deno task finetune`` (docs/finetune.md), and the pieces every
training loop shares (split, losses, held-out evaluation):

- ``finetune_masked``: fine-tune a pruned model with its BCR zero mask held, either to reproduce
  the dense model's outputs (``distill``) or to minimise the cross-entropy of a fixed linear head
  against labels (``labels``); optionally through rnnfab's fixed-point formats (QAT). It is the
  ``fixed`` schedule of schedules.py, which holds rnnfab's one training loop.

ADMM (as RTMobile/GRIM) is in schedules.py too (``--schedule admm``, and ``admm_phase`` for the
ADMM phase of prune/finetune.ts): rnnfab's one ADMM implementation.

Progress goes to stdout, one line per epoch. ``python -m rnnfab.finetune JOB.json`` runs a job
that rnnfab's TypeScript side wrote (it has validated every file and flag already)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .data import DataSet, Batch, batches, load_data, load_head
from .mask import bcr_masks, masks_hold
from .model_io import load_model, save_model
from .jobs import run_job_file
from .modules import RnnStack, last_outputs


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


def finetune_masked(student: RnnStack, teacher: Optional[RnnStack], data: DataSet, head=None,
                    config: TrainConfig = TrainConfig()) -> list[dict]:
    """Fine-tune ``student`` with its zero mask held (the mask is read from its zeros now): the
    ``fixed`` schedule of schedules.py from that mask (one training loop for both)."""
    from .schedules import ScheduleConfig, ScheduleRun  # schedules.py imports this module

    masks = bcr_masks(student)
    schedule = ScheduleConfig(
        schedule="fixed", densities={n: 1.0 for n in masks}, objective=config.objective,
        epochs=config.epochs, lr=config.lr, batch_size=config.batch_size, seed=config.seed,
        held_out=config.held_out, qat=config.qat, log=config.log)
    run = ScheduleRun(student, teacher, data, head, schedule, masks)
    run.run()
    if not masks_hold(student, masks):
        raise RuntimeError("the BCR mask changed during fine-tuning")
    return run.history


def qat_arguments(qat: Optional[dict]) -> Optional[dict]:
    """FixedPointQat's arguments from a job's ``qat`` (camelCase, or None)."""
    if not qat:
        return None
    return {"weight_bits": qat["weightBits"], "activation_bits": qat["activationBits"],
            "activation_frac": qat["activationFrac"]}


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
    config = TrainConfig(objective=job["objective"], epochs=job["epochs"], lr=job["lr"],
                         batch_size=job["batchSize"], seed=job["seed"], held_out=job["heldOut"],
                         qat=qat_arguments(job.get("qat")), log=lambda line: print(line, flush=True))
    history = finetune_masked(student, teacher, data, head, config)
    save_model(student.to_rnnfab(), job["out"])
    return {"history": history}


def main(argv: list[str]) -> int:
    """``python -m rnnfab.finetune JOB.json``: run the job, write its history beside the output."""
    return run_job_file(argv, "finetune", run_job)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
