"""Pruning schedules behind ``deno task finetune --schedule`` (docs/pruning.md, "Pruning schedules"):

- ``fixed``: the mask is fixed at the start (the pruned model's zeros, or one-shot ``target_mask``
  of the dense weights), then masked fine-tuning (as ``finetune.finetune_masked``).
- ``gradual`` (Zhu & Gupta): from the dense weights, the mask is recomputed ``updates`` times per
  epoch from the current weights, the density following d + (1 - d)(1 - p)^3 with p going from 0
  at epoch ``gradual_start`` to 1 at epoch ``gradual_end``; the epochs after it train at the final
  density (the best held-out one of them is kept).
- ``gap`` (grow-and-prune, Ma et al. ICLR'22): every matrix sparse at the target except one part
  (a group of matrices), which is grown back to dense for ``gap_interval`` epochs, then pruned back
  to the target from its trained weights while the next part grows, cycling; ``final_epochs`` of
  masked fine-tuning at the end. ``from_scratch``: random initialisation, no dense pre-training.
- ``imp`` (lottery ticket, iterative magnitude pruning with rewinding): train dense for ``epochs``
  (weights saved at ``rewind_epoch``), then ``imp_rounds`` times: prune to d^(k/rounds) from the
  trained weights, rewind the kept weights to the saved ones, train ``epochs`` masked. The winning
  ticket condition (the sparse network, trained from the rewound weights with the same budget,
  reaches the dense run's held-out accuracy) is reported.
- ``admm`` (RTMobile/GRIM): ``admm_epochs`` of the task loss plus rho/2 ||W - Z + U||^2 with Z the
  projection of W + U onto the target structure, then the hard mask, then masked fine-tuning.
  ``admm_phase`` runs the ADMM stage alone onto given per-matrix BCR rates and leaves the weights
  dense (``deno task finetune``'s library ADMM, prune/finetune.ts: rnnfab's own BCR pruning and
  masked fine-tuning follow on the TypeScript side; bench:fidelity uses it). This is rnnfab's one
  ADMM implementation.

Every schedule keeps the BCR structure (or unstructured masks), optional PE balancing and optional
QAT; ``checkpoint`` is written after every epoch and ``resume`` continues from it with the same
result as an uninterrupted run (weights, optimizer, learning-rate schedule, masks, random states).
``python -m rnnfab.schedules JOB.json`` runs a job written by rnnfab's TypeScript side (a schedule,
or with ``"phase": "admm"`` the ADMM phase alone)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch

from .data import batches, load_data, load_head
from .bcr import project_bcr
from .finetune import (TrainConfig, _better, _describe, distill_loss, evaluate, qat_arguments,
                       split, task_loss)
from .model_io import load_model, save_model
from .jobs import run_job_file
from .modules import RnnStack
from .quant import FixedPointQat
from .mask import MaskHolder
from .sparsity import target_mask

SCHEDULES = ("fixed", "gradual", "gap", "imp", "admm")


@dataclass
class ScheduleConfig:
    """One schedule run (defaults as in ``deno task finetune --help``)."""

    schedule: str = "fixed"
    densities: dict = field(default_factory=dict)  # target density per matrix name
    structure: str = "bcr"  # or "unstructured"
    block: tuple = (4, 4)
    col_share: float = 0.5
    pes: int = 1
    objective: str = "distill"
    epochs: int = 10
    lr: float = 2e-3
    batch_size: int = 32
    seed: int = 1
    held_out: float = 0.1
    qat: Optional[dict] = None
    gradual_start: int = 0
    gradual_end: Optional[int] = None  # default: 3/4 of the epochs
    gradual_updates: int = 4
    gap_parts: int = 0  # 0: one part per weight matrix
    gap_interval: int = 1
    final_epochs: Optional[int] = None  # gap: default a quarter of the epochs
    from_scratch: bool = False
    imp_rounds: int = 3
    rewind_epoch: int = 1
    admm_epochs: Optional[int] = None  # default: --epochs
    rho: float = 1e-3
    rho_growth: float = 1.3
    # admm: project onto these per-matrix BCR rates ({name: {"block", "colKeep", "rowKeep"}})
    # instead of the target structure, and stop after the ADMM stage with the weights dense
    # (admm_phase: the caller prunes)
    projection: Optional[dict] = None
    checkpoint: Optional[str] = None
    resume: bool = False
    stop_after: Optional[int] = None  # stop after this many epochs in all (then resume)
    log: Callable[[str], None] = print
    on_epoch: Optional[Callable[[dict, dict], None]] = None  # (history entry, masks) for tests

    def resolved(self) -> "ScheduleConfig":
        """Defaults that depend on other settings filled in."""
        if self.gradual_end is None:
            self.gradual_end = max(self.gradual_start, math.floor(0.75 * self.epochs + 0.5))
        if self.final_epochs is None:
            self.final_epochs = max(1, self.epochs // 4) if self.epochs > 1 else 0
        if self.admm_epochs is None:
            self.admm_epochs = self.epochs
        return self


def stages(config: ScheduleConfig) -> list[tuple[str, int]]:
    """(stage, epochs) in order; every stage has its own Adam and cosine decay."""
    name, epochs = config.schedule, config.epochs
    if name == "fixed":
        return [("fine-tune", epochs)]
    if name == "gradual":
        return [("gradual", epochs)]
    if name == "gap":
        return [("gap", epochs - config.final_epochs), ("fine-tune", config.final_epochs)]
    if name == "imp":
        return [("dense", epochs)] + [(f"imp{k}", epochs) for k in range(1, config.imp_rounds + 1)]
    if name == "admm":
        if config.projection is not None:
            return [("admm", config.admm_epochs)]
        return [("admm", config.admm_epochs), ("fine-tune", epochs)]
    raise ValueError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {name}")


def gradual_density(final: float, progress: float) -> float:
    """Zhu & Gupta's cubic schedule: 1 at progress 0, ``final`` at progress 1."""
    progress = min(1.0, max(0.0, progress))
    return final + (1 - final) * (1 - progress) ** 3


class ScheduleRun:
    """The state of one schedule run, saved whole in a checkpoint after every epoch."""

    def __init__(self, student: RnnStack, teacher: Optional[RnnStack], data, head,
                 config: ScheduleConfig, start_masks: Optional[dict] = None):
        self.student, self.teacher, self.head = student, teacher, head
        self.config = config.resolved()
        self.stages = stages(self.config)
        self.names = student.matrix_names()
        self.train, self.held = split(data, config.held_out, config.seed)
        self.holder = MaskHolder(student)
        self.start_masks = start_masks
        self.qat = FixedPointQat(student, **config.qat) if config.qat else None
        self.history: list[dict] = []
        self.extra: dict = {}  # per-schedule state (ADMM's Z, U, rho; IMP's rewind weights; ...)
        self.stage = 0
        self.epoch = 0  # epochs done in the current stage
        self.epochs_run = 0  # epochs run by this process (for stop_after)

    # -- masks -----------------------------------------------------------------------------
    def mask_of(self, name: str, density: float) -> torch.Tensor:
        """The target-structure mask of matrix ``name`` at ``density`` from its current weights."""
        c = self.config
        return target_mask(getattr(self.student, name).detach(), density, c.structure,
                           tuple(c.block), c.col_share, c.pes)

    def prune(self, names, scale: Callable[[float], float] = lambda d: d) -> None:
        """Recompute the masks of ``names`` at their (scaled) target densities and apply them."""
        for name in names:
            self.holder.masks[name] = self.mask_of(name, scale(self.config.densities[name]))
        self.holder.apply()

    def parts(self) -> list[list[str]]:
        """GaP's parts: the matrices in rnnfab's order, split into contiguous groups."""
        count = self.config.gap_parts or len(self.names)
        count = min(count, len(self.names))
        size = math.ceil(len(self.names) / count)
        return [self.names[i:i + size] for i in range(0, len(self.names), size)]

    def density(self) -> float:
        """Kept share of the matrices' weights under the current masks."""
        total = sum(getattr(self.student, n).numel() for n in self.names)
        kept = sum(int(self.holder.masks[n].sum()) if n in self.holder.masks
                   else getattr(self.student, n).numel() for n in self.names)
        return kept / total

    # -- stage hooks -----------------------------------------------------------------------
    def begin_stage(self, kind: str) -> None:
        """What happens to the masks and weights when a stage starts."""
        c = self.config
        if kind == "fine-tune" and c.schedule == "fixed":
            if self.start_masks is not None:
                self.holder.masks = dict(self.start_masks)
                self.holder.apply()
            else:
                self.prune(self.names)
        elif kind == "gap":
            self.prune(self.names)
            self.grow(0)
        elif kind == "dense":
            self.extra["rewind"] = self.snapshot() if c.rewind_epoch == 0 else None
        elif kind.startswith("imp"):
            round_ = int(kind[3:])
            self.prune(self.names, lambda d: d ** (round_ / c.imp_rounds))
            with torch.no_grad():
                for name, value in self.extra["rewind"].items():
                    getattr(self.student, name).copy_(value)
            self.holder.apply()
        elif kind == "admm":
            with torch.no_grad():
                self.extra["z"] = {n: self.project(n, getattr(self.student, n).detach())
                                   for n in self.names}
                self.extra["u"] = {n: torch.zeros_like(self.extra["z"][n]) for n in self.names}
            self.extra["rho"] = c.rho

    def project(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """ADMM's Z: ``value`` projected onto the target structure (or ``projection``'s rates)."""
        c = self.config
        if c.projection is not None:
            rate = c.projection[name]
            return project_bcr(value, tuple(rate["block"]), rate["colKeep"], rate["rowKeep"])
        mask = target_mask(value, c.densities[name], c.structure, tuple(c.block), c.col_share, c.pes)
        return value * mask.to(value.dtype)

    def grow(self, part: int) -> None:
        """GaP: make part ``part`` (mod the number of parts) dense."""
        parts = self.parts()
        self.extra["grown"] = part % len(parts)
        for name in parts[self.extra["grown"]]:
            self.holder.masks.pop(name, None)

    def before_batch(self, kind: str, epoch: int, index: int, count: int) -> None:
        """Gradual: recompute the masks ``gradual_updates`` times per epoch."""
        c = self.config
        if kind != "gradual" or epoch - 1 > c.gradual_end or (epoch - 1 == c.gradual_end and index):
            return  # the final mask is fixed from the first batch at progress 1 on
        every = max(1, math.ceil(count / c.gradual_updates))
        if index % every:
            return
        span = max(c.gradual_end - c.gradual_start, 1e-9)
        progress = (epoch - 1 + index / count - c.gradual_start) / span
        if progress < 0 and self.holder.masks:
            return
        self.prune(self.names, lambda d: gradual_density(d, progress))

    def after_epoch(self, kind: str, epoch: int, epochs: int) -> None:
        """ADMM's Z and U updates; GaP's prune-and-grow; IMP's rewind point."""
        c = self.config
        if kind == "admm":
            with torch.no_grad():
                for n in self.names:
                    w = getattr(self.student, n).detach()
                    self.extra["z"][n] = self.project(n, w + self.extra["u"][n])
                    self.extra["u"][n] += w - self.extra["z"][n]
            gap = math.sqrt(sum(float(((getattr(self.student, n).detach() - self.extra["z"][n]) ** 2).sum())
                                for n in self.names))
            c.log(f"admm epoch {epoch}: rho {self.extra['rho']:.2e}, ||W - Z|| {gap:.4f}")
            self.extra["rho"] *= c.rho_growth
        elif kind == "gap" and epoch % c.gap_interval == 0:
            grown = self.parts()[self.extra["grown"]]
            self.prune(grown)
            if epoch < epochs:
                self.grow(self.extra["grown"] + 1)
        elif kind == "dense" and epoch == c.rewind_epoch:
            self.extra["rewind"] = self.snapshot()

    def end_stage(self, kind: str) -> None:
        c = self.config
        if kind == "admm" and c.projection is None:
            self.prune(self.names)
        elif kind == "gap":
            self.prune(self.names)  # already at the target unless the interval did not divide
        elif kind == "dense":
            self.extra["dense"] = self.best
            if self.extra.get("rewind") is None:  # rewind epoch past the budget: the end
                self.extra["rewind"] = self.snapshot()
        if kind.startswith("imp") and int(kind[3:]) == c.imp_rounds:
            self.extra["ticket"] = self.best

    def snapshot(self) -> dict:
        return {n: getattr(self.student, n).detach().clone() for n in self.names}

    def selectable(self, kind: str, epoch: int) -> bool:
        """Whether this epoch's state may be kept as the stage's result."""
        if kind in ("gap", "admm"):
            return False
        if kind == "gradual":
            return epoch >= 1 and epoch - 1 >= self.config.gradual_end
        return True

    def penalty(self, kind: str):
        if kind != "admm":
            return 0
        z, u, rho = self.extra["z"], self.extra["u"], self.extra["rho"]
        return sum(rho / 2 * ((getattr(self.student, n) - z[n] + u[n]) ** 2).sum()
                   for n in self.names)

    # -- the loop --------------------------------------------------------------------------
    def fingerprint(self) -> dict:
        """What a checkpoint must match to be resumed."""
        c = self.config
        return {"schedule": c.schedule, "epochs": c.epochs, "seed": c.seed, "lr": c.lr,
                "stages": self.stages, "structure": c.structure, "block": list(c.block),
                "densities": dict(sorted(c.densities.items())), "objective": c.objective,
                "batchSize": c.batch_size, "qat": c.qat, "fromScratch": c.from_scratch}

    def save(self, optimizer, schedule, generator) -> None:
        """Write the checkpoint atomically."""
        path = self.config.checkpoint
        state = {"fingerprint": self.fingerprint(), "stage": self.stage, "epoch": self.epoch,
                 "model": self.student.state_dict(), "optimizer": optimizer.state_dict(),
                 "schedule": schedule.state_dict(), "generator": generator.bit_generator.state,
                 "torch": torch.get_rng_state(), "masks": self.holder.masks, "best": self.best,
                 "bestState": self.best_state, "history": self.history, "extra": self.extra}
        temporary = f"{path}.tmp{os.getpid()}"
        torch.save(state, temporary)
        os.replace(temporary, path)

    def load(self) -> dict:
        """Restore everything from the checkpoint; returns the optimizer-side state."""
        try:
            state = torch.load(self.config.checkpoint, weights_only=True)
        except Exception as error:  # not a checkpoint of ours
            raise ScheduleError(f"{self.config.checkpoint}: not a checkpoint of rnnfab's schedules "
                                f"({type(error).__name__})") from None
        if state.get("fingerprint") != self.fingerprint():
            raise ScheduleError(f"{self.config.checkpoint}: written by a different run (schedule, "
                                "epochs, seed, learning rate, densities or structure differ); "
                                "remove it or drop --resume")
        self.stage, self.epoch = state["stage"], state["epoch"]
        self.student.load_state_dict(state["model"])
        self.holder.masks = state["masks"]
        self.best, self.best_state = state["best"], state["bestState"]
        self.history, self.extra = state["history"], state["extra"]
        torch.set_rng_state(state["torch"])
        self.config.log(f"resumed from {self.config.checkpoint}: stage {self.stages[self.stage][0]}, "
                        f"epoch {self.epoch}")
        return state

    def evaluate(self) -> dict:
        if self.qat:
            self.qat.refresh()
        return evaluate(self.student, self.teacher, self.held, self.head)

    def train_epoch(self, kind, epoch, optimizer, generator) -> float:
        c = self.config
        total, count = 0.0, 0
        order = generator.permutation(len(self.train))
        steps = math.ceil(len(self.train) / c.batch_size)
        for index, batch in enumerate(batches(self.train, c.batch_size, order)):
            self.before_batch(kind, epoch, index, steps)
            if self.qat:
                self.qat.refresh()
            outputs = self.student(batch.x, batch.lengths)
            if c.objective == "labels":
                loss = task_loss(outputs, batch, self.head)
            else:
                with torch.no_grad():
                    reference = self.teacher(batch.x, batch.lengths)
                loss = distill_loss(outputs, reference, batch)
            full = loss + self.penalty(kind)
            optimizer.zero_grad()
            full.backward()
            optimizer.step()
            total += loss.item() * len(batch.lengths)
            count += len(batch.lengths)
        return total / count

    def run(self) -> bool:
        """Run (or continue) the schedule; False when stopped early by ``stop_after``."""
        c = self.config
        torch.manual_seed(c.seed)
        resumed = self.load() if c.resume and c.checkpoint and os.path.exists(c.checkpoint) else None
        while self.stage < len(self.stages):
            kind, epochs = self.stages[self.stage]
            generator = np.random.default_rng(c.seed + self.stage)
            optimizer = torch.optim.Adam(self.student.parameters(), lr=c.lr)
            schedule = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda e, n=epochs: 0.5 * (1 + math.cos(math.pi * e / max(n, 1))))
            self.holder.attach(optimizer)
            if resumed is not None:
                optimizer.load_state_dict(resumed["optimizer"])
                schedule.load_state_dict(resumed["schedule"])
                generator.bit_generator.state = resumed["generator"]
                resumed = None
            else:
                self.begin_stage(kind)
                figures = self.evaluate()
                self.record(kind, 0, epochs, figures)
                self.best, self.best_state = None, None
                if self.selectable(kind, 0):
                    self.keep(figures)
            for epoch in range(self.epoch + 1, epochs + 1):
                if c.stop_after is not None and self.epochs_run >= c.stop_after:
                    self.config.log(f"stopped after {self.epochs_run} epochs; resume with the "
                                    f"checkpoint {c.checkpoint}")
                    return False
                loss = self.train_epoch(kind, epoch, optimizer, generator)
                schedule.step()
                self.after_epoch(kind, epoch, epochs)
                figures = self.evaluate()
                self.record(kind, epoch, epochs, figures, loss)
                if self.selectable(kind, epoch) and _better(figures, self.best):
                    self.keep(figures)
                self.epoch = epoch
                self.epochs_run += 1
                if c.checkpoint:
                    self.save(optimizer, schedule, generator)
            if self.best_state is not None:
                self.student.load_state_dict(self.best_state)
                self.config.log(f"{kind}: kept the best held-out state: {_describe(self.best)}")
            self.end_stage(kind)
            self.stage += 1
            self.epoch = 0
        if self.qat:
            self.qat.remove()
        self.holder.remove()
        return True

    def keep(self, figures: dict) -> None:
        self.best = figures
        self.best_state = {k: v.clone() for k, v in self.student.state_dict().items()}

    def record(self, kind, epoch, epochs, figures, loss=None) -> None:
        entry = {"epoch": epoch, "phase": kind, "density": self.density(), **figures}
        if loss is not None:
            entry["trainLoss"] = loss
        if kind == "admm":
            entry["rho"] = self.extra["rho"]
        self.history.append(entry)
        train = f"train {self.config.objective} loss {loss:.5f}; " if loss is not None else ""
        self.config.log(f"{kind} epoch {epoch}/{epochs}: density {entry['density']:.4f}; "
                        f"{train}{_describe(figures)}")
        if self.config.on_epoch:
            self.config.on_epoch(entry, self.holder.masks)

    def summary(self) -> dict:
        """Final density, and IMP's winning-ticket verdict."""
        result = {"density": self.density(), "epochsRun": len(
            [h for h in self.history if h["epoch"] > 0])}
        if self.config.schedule == "imp":
            dense, ticket = self.extra["dense"], self.extra["ticket"]
            if "accuracy" in dense:
                held = ticket["accuracy"] >= dense["accuracy"]
                measure = "held-out accuracy"
            else:
                held = ticket["distillLoss"] <= dense["distillLoss"]
                measure = "held-out distillation loss"
            result["winningTicket"] = {"held": held, "measure": measure, "dense": dense,
                                       "sparse": ticket}
        return result


class ScheduleError(Exception):
    """A problem with the job the user can fix (printed as one line)."""


def random_like(model: RnnStack, seed: int) -> RnnStack:
    """A freshly initialised stack of ``model``'s shape (PyTorch's uniform +-1/sqrt(hidden))."""
    peepholes = any(name.startswith("peephole_l") for name, _ in model.named_parameters())
    fresh = RnnStack(model.kind, model.input_size, model.hidden_size, model.num_layers,
                     model.proj_size, peepholes=peepholes, seed=seed)
    return fresh.to(next(model.parameters()).dtype)


def config_from_job(job: dict) -> ScheduleConfig:
    """The ScheduleConfig of a job file (keys in camelCase, as the TypeScript side writes them)."""
    qat = qat_arguments(job.get("qat"))
    knobs = job.get("knobs", {})
    names = {"gradualStart": "gradual_start", "gradualEnd": "gradual_end",
             "gradualUpdates": "gradual_updates", "gapParts": "gap_parts",
             "gapInterval": "gap_interval", "finalEpochs": "final_epochs",
             "fromScratch": "from_scratch", "impRounds": "imp_rounds",
             "rewindEpoch": "rewind_epoch", "admmEpochs": "admm_epochs", "rho": "rho",
             "rhoGrowth": "rho_growth", "stopAfter": "stop_after"}
    return ScheduleConfig(
        schedule=job["schedule"], densities=job["densities"], structure=job["structure"],
        block=tuple(job["block"]), col_share=job["colShare"], pes=job["pes"],
        objective=job["objective"], epochs=job["epochs"], lr=job["lr"],
        batch_size=job["batchSize"], seed=job["seed"], held_out=job["heldOut"], qat=qat,
        checkpoint=job.get("checkpoint"), resume=bool(job.get("resume")),
        log=lambda line: print(line, flush=True),
        **{names[k]: v for k, v in knobs.items() if v is not None})


def admm_phase(student: RnnStack, teacher: Optional[RnnStack], data, head, rates: dict,
               config: TrainConfig, rho: float = 1e-3, rho_growth: float = 1.3) -> list[dict]:
    """ADMM alone towards the BCR set given by ``rates`` ({name: {"block": [r, c], "colKeep",
    "rowKeep"}}) for ``config.epochs`` epochs: the schedule's ADMM stage with that projection.
    Leaves ``student`` dense (the caller prunes it, then fine-tunes masked); returns the history."""
    schedule = ScheduleConfig(
        schedule="admm", densities={n: 1.0 for n in student.matrix_names()}, objective=config.objective,
        epochs=0, admm_epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
        seed=config.seed, held_out=config.held_out, qat=config.qat, rho=rho, rho_growth=rho_growth,
        projection=rates, log=config.log)
    run = ScheduleRun(student, teacher, data, head, schedule)
    run.run()
    return run.history


def _stacks(job: dict):
    """The job's teacher (frozen), starting stack and head (frozen, or None)."""
    torch.set_num_threads(int(os.environ.get("RNNFAB_TORCH_THREADS", "1")))
    torch.use_deterministic_algorithms(True)
    teacher = RnnStack.from_rnnfab(load_model(job["dense"])).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    head = load_head(job["head"]).to(torch.float32) if job.get("head") else None
    if head is not None:
        for p in head.parameters():
            p.requires_grad_(False)
    return teacher, RnnStack.from_rnnfab(load_model(job["start"])), head


def run_admm_job(job: dict) -> dict:
    """The ADMM phase job of prune/finetune.ts; writes the (dense) model to job["out"]."""
    teacher, student, head = _stacks(job)
    config = TrainConfig(objective=job["objective"], epochs=job["epochs"], lr=job["lr"],
                         batch_size=job["batchSize"], seed=job["seed"], held_out=job["heldOut"],
                         qat=qat_arguments(job.get("qat")),
                         log=lambda line: print(line, flush=True))
    history = admm_phase(student, teacher, load_data(job["data"]), head, job["rates"], config,
                         rho=job.get("rho", 1e-3))
    save_model(student.to_rnnfab(), job["out"])
    return {"history": history}


def run_schedule_job(job: dict) -> dict:
    """Run a schedule job; writes the model to job["out"] unless stopped early."""
    teacher, start, head = _stacks(job)
    config = config_from_job(job)
    start_masks = None
    if job.get("maskFrom"):
        source = RnnStack.from_rnnfab(load_model(job["maskFrom"]))
        start_masks = {n: getattr(source, n).detach() != 0 for n in source.matrix_names()}
    if config.from_scratch:
        start = random_like(start, config.seed)
    run = ScheduleRun(start, teacher, load_data(job["data"]), head, config, start_masks)
    finished = run.run()
    if finished:
        save_model(start.to_rnnfab(), job["out"])
    return {"finished": finished, "history": run.history,
            "summary": run.summary() if finished else None}


def run_job(job: dict) -> dict:
    """Run a schedule job, or its ADMM phase alone when ``job["phase"]`` is "admm"."""
    return run_admm_job(job) if job.get("phase") == "admm" else run_schedule_job(job)


def main(argv: list[str]) -> int:
    """``python -m rnnfab.schedules JOB.json``: run the job, write its result beside the output."""
    return run_job_file(argv, "schedules", run_job, reported=(ScheduleError,))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
