"""Tests of the pruning schedules (python/rnnfab/schedules.py, docs/pruning.md): every schedule
keeps the mask's structure and density through training; resuming from a checkpoint gives the
same result as an uninterrupted run; fixed equals finetune_masked; admm_phase (the ADMM of
prune/finetune.ts) is the admm schedule's ADMM stage."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab import RnnStack  # noqa: E402
from rnnfab.data import DataSet  # noqa: E402
from rnnfab.finetune import TrainConfig, finetune_masked  # noqa: E402
from rnnfab.schedules import ScheduleConfig, ScheduleRun, admm_phase, gradual_density  # noqa: E402
from rnnfab.sparsity import bcr_density, is_bcr, pe_loads, target_mask  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

SCHEDULES = ["fixed", "gradual", "gap", "imp", "admm"]


def small_problem(seed=0):
    """A 16-cell LSTM, a fixed head and 40 labelled sequences (sizes chosen for seconds)."""
    teacher = RnnStack("lstm", 4, 16, 1, seed=seed).to(torch.float32)
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(int(rng.integers(3, 7)), 4)) for _ in range(40)]
    labels = [int(v) for v in rng.integers(0, 3, size=40)]
    head = torch.nn.Linear(16, 3)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(rng.normal(size=(3, 16))))
        head.bias.zero_()
    for p in list(teacher.parameters()) + list(head.parameters()):
        p.requires_grad_(False)
    return teacher, DataSet(sequences, labels), head


def clone(stack):
    copy = RnnStack("lstm", 4, 16, 1)
    copy.load_state_dict(stack.state_dict())
    return copy.to(torch.float32)


def config(schedule, structure="bcr", **extra):
    base = dict(schedule=schedule, densities={"weight_ih_l0": 0.25, "weight_hh_l0": 0.25},
                structure=structure, block=(4, 4), objective="labels", epochs=4, lr=5e-3,
                batch_size=8, seed=3, imp_rounds=2, gradual_end=2, admm_epochs=2)
    base.update(extra)
    return ScheduleConfig(**base)


@pytest.mark.parametrize("structure", ["bcr", "unstructured"])
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_mask_keeps_structure_and_density(schedule, structure):
    teacher, data, head = small_problem()
    seen = []

    def check(entry, masks):
        seen.append(entry)
        for name, mask in masks.items():
            weight = getattr(student, name).detach()
            assert bool((weight[~mask] == 0).all()), f"{name}: a pruned weight is not zero"
            if structure == "bcr":
                assert is_bcr(mask, (4, 4)), f"{name}: not BCR at {entry}"
        final = entry["phase"] in ("fine-tune",) or entry["phase"].startswith("imp") or (
            entry["phase"] == "gradual" and entry["epoch"] >= 3)
        if final:
            expected = (bcr_density((64, 16), (4, 4), 0.25, 0.5) * 64 * 16 +
                        bcr_density((64, 16), (4, 4), 0.25, 0.5) * 64 * 16) / 2048
            if structure == "unstructured":
                expected = 0.25
            if not entry["phase"].startswith("imp") or entry["phase"] == "imp2":
                assert entry["density"] == pytest.approx(expected), entry
    student = clone(teacher)
    if schedule == "fixed":
        with torch.no_grad():
            for name in student.matrix_names():
                weight = getattr(student, name)
                weight.mul_(target_mask(weight, 0.25, structure).to(weight.dtype))
        masks = {n: getattr(student, n).detach() != 0 for n in student.matrix_names()}
    else:
        masks = None
    run = ScheduleRun(student, teacher, data, head, config(schedule, structure, on_epoch=check),
                      masks)
    assert run.run()
    assert seen and seen[-1]["density"] < 0.3
    if schedule == "fixed":
        for name, mask in masks.items():
            assert torch.equal(getattr(student, name).detach() != 0, mask)
    if schedule == "imp":
        assert isinstance(run.summary()["winningTicket"]["held"], bool)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_resume_equals_uninterrupted(schedule, tmp_path):
    teacher, data, head = small_problem()
    whole = clone(teacher)
    extra = {"from_scratch": True} if schedule == "gap" else {}
    uninterrupted = ScheduleRun(whole, teacher, data, head, config(schedule, **extra))
    assert uninterrupted.run()
    checkpoint = str(tmp_path / "run.ckpt")
    parts = clone(teacher)
    # Stop mid-stage, at a stage's end (gap), or inside a later stage (imp, admm); resume afresh.
    stop = {"fixed": 2, "gradual": 2, "gap": 3, "imp": 5, "admm": 3}[schedule]
    first = ScheduleRun(parts, teacher, data, head,
                        config(schedule, checkpoint=checkpoint, stop_after=stop, **extra))
    assert not first.run()
    resumed = clone(teacher)
    second = ScheduleRun(resumed, teacher, data, head,
                         config(schedule, checkpoint=checkpoint, resume=True, **extra))
    assert second.run()
    for name, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    assert [h.get("trainLoss") for h in second.history] == [
        h.get("trainLoss") for h in uninterrupted.history]


def test_fixed_equals_finetune_masked():
    teacher, data, head = small_problem()
    a, b = clone(teacher), clone(teacher)
    for stack in (a, b):
        with torch.no_grad():
            for name in stack.matrix_names():
                weight = getattr(stack, name)
                weight.mul_(target_mask(weight, 0.25).to(weight.dtype))
    finetune_masked(a, teacher, data, head, TrainConfig(objective="labels", epochs=3, lr=5e-3,
                                                        batch_size=8, seed=3, log=lambda _: None))
    ScheduleRun(b, teacher, data, head, config("fixed", epochs=3, log=lambda _: None),
                {n: getattr(b, n).detach() != 0 for n in b.matrix_names()}).run()
    for name, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[name]), name


def test_admm_phase_is_the_admm_schedules_admm_stage():
    # At 0.25 in 4x4 blocks the schedule keeps 2 columns x 2 rows: the rates 0.5 / 0.5.
    teacher, data, head = small_problem()
    a, b = clone(teacher), clone(teacher)
    rates = {n: {"block": [4, 4], "colKeep": 0.5, "rowKeep": 0.5} for n in a.matrix_names()}
    history = admm_phase(a, teacher, data, head, rates,
                         TrainConfig(objective="labels", epochs=2, lr=5e-3, batch_size=8, seed=3,
                                     log=lambda _: None))
    assert [h["phase"] for h in history] == ["admm"] * 3 and "rho" in history[-1]
    assert any(int((getattr(a, n) == 0).sum()) == 0 for n in a.matrix_names())  # left dense
    with torch.no_grad():
        for name in a.matrix_names():
            weight = getattr(a, name)
            weight.mul_(target_mask(weight, 0.25, "bcr", (4, 4)).to(weight.dtype))
    assert not ScheduleRun(b, teacher, data, head,
                           config("admm", epochs=1, stop_after=2, log=lambda _: None)).run()
    for name, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[name]), name


def test_gradual_density_schedule():
    assert gradual_density(0.1, 0) == 1
    assert gradual_density(0.1, 1) == pytest.approx(0.1)
    assert gradual_density(0.1, 0.5) == pytest.approx(0.1 + 0.9 / 8)


def test_balanced_rows_spread_over_pes():
    weight = torch.zeros(32, 16)
    weight[::4] = 1.0  # every large row on PE 0 of 4
    weight += torch.rand(32, 16, generator=torch.Generator().manual_seed(0)) * 0.01
    plain = target_mask(weight, 0.25, "bcr", (8, 8))
    balanced = target_mask(weight, 0.25, "bcr", (8, 8), pes=4)
    assert is_bcr(balanced, (8, 8)) and int(balanced.sum()) == int(plain.sum())
    assert max(pe_loads({"w": plain}, 4)) > max(pe_loads({"w": balanced}, 4))
    loads = pe_loads({"w": balanced}, 4)
    assert max(loads) - min(loads) <= 8
