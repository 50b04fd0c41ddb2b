"""Tests of rnnfab.delta (run by tests/python_test.ts under pytest)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab import RnnStack  # noqa: E402
from rnnfab.data import DataSet, make_batch  # noqa: E402
from rnnfab.delta import DeltaTrainConfig, delta_accuracy, delta_forward, train_delta  # noqa: E402

torch.set_num_threads(1)


def stack_of(kind, proj=0, seed=0):
    return RnnStack(kind, 5, 8, 2, proj_size=proj, seed=seed).to(torch.float64)


def walk(n=6, inputs=5, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        steps = int(rng.integers(3, 12))
        moves = rng.normal(scale=0.1, size=(steps, inputs)) * (rng.random((steps, inputs)) < 0.5)
        out.append(np.cumsum(moves, axis=0) + rng.normal(size=inputs))
    return out


@pytest.mark.parametrize("kind,proj", [("lstm", 0), ("lstm", 3), ("gru", 0)])
def test_zero_thresholds_equal_the_dense_forward(kind, proj):
    stack = stack_of(kind, proj)
    batch = make_batch(DataSet(walk()), torch.float64)
    dense = stack(batch.x, batch.lengths)
    delta = delta_forward(stack, batch.x, 0.0, 0.0, batch.lengths)
    live = (torch.arange(batch.x.shape[1]).unsqueeze(0) < batch.lengths.unsqueeze(1))
    assert torch.allclose(delta.outputs[live], dense[live], atol=1e-12)


def test_fired_counts_follow_the_thresholds_and_vanish_past_the_end():
    stack = stack_of("lstm")
    batch = make_batch(DataSet(walk()), torch.float64)
    few = delta_forward(stack, batch.x, 0.2, 0.2, batch.lengths)
    none = delta_forward(stack, batch.x, 100.0, 100.0, batch.lengths)
    every = delta_forward(stack, batch.x, 0.0, 0.0, batch.lengths)
    assert int(sum(f.sum() for f in none.fired_x + none.fired_h)) == 0
    assert int(few.fired_x[0].sum()) <= int(every.fired_x[0].sum())
    for b, n in enumerate(batch.lengths.tolist()):
        assert int(every.fired_x[0][b, n:].sum()) == 0


def test_straight_through_training_moves_the_weights_and_reports_fractions():
    stack = stack_of("gru")
    head = torch.nn.Linear(8, 2, dtype=torch.float64)
    data = DataSet(walk(8), [0, 1] * 4)
    before = stack.weight_ih_l0.detach().clone()
    train_delta(stack, head, data, DeltaTrainConfig(theta_x=0.05, theta_h=0.05, epochs=2,
                                                    batch_size=4), log=lambda _: None)
    assert not torch.equal(before, stack.weight_ih_l0.detach())
    accuracy, fractions = delta_accuracy(stack, head, data, 0.05, 0.05)
    assert 0 <= accuracy <= 1 and len(fractions) == 2
    assert all(0 < f <= 1 for f in fractions)


def test_delta_job_holds_the_mask_and_trains_through_the_thresholds(tmp_path):
    from rnnfab.data import save_data
    from rnnfab.delta import DeltaStack, delta_stack, run_delta_job
    from rnnfab.model_io import load_model, save_model

    dense = stack_of("lstm", seed=3).to(torch.float32)
    pruned = stack_of("lstm", seed=3).to(torch.float32)
    with torch.no_grad():  # a column-block mask: every other 4x4 block of every matrix zeroed
        for name in pruned.matrix_names():
            weight = getattr(pruned, name)
            for r in range(0, weight.shape[0], 4):
                for c in range(0, weight.shape[1], 4):
                    if (r // 4 + c // 4) % 2:
                        weight[r:r + 4, c:c + 4] = 0
    save_model(dense.to_rnnfab(), str(tmp_path / "dense.json"))
    save_model(pruned.to_rnnfab(), str(tmp_path / "start.json"))
    save_data(DataSet(walk(12, seed=4)), str(tmp_path / "d.json"))
    job = {"dense": str(tmp_path / "dense.json"), "start": str(tmp_path / "start.json"),
           "data": str(tmp_path / "d.json"), "head": None, "objective": "distill", "epochs": 2,
           "lr": 0.005, "batchSize": 4, "seed": 1, "heldOut": 0.25, "qat": None,
           "delta": {"thetaX": 0.05, "thetaH": [0.02, 0.03]},
           "out": str(tmp_path / "out.json")}
    result = run_delta_job(job)
    assert [row["epoch"] for row in result["history"]] == [0, 1, 2]
    assert len(result["firedAfter"]) == 2 and all(0 < f < 1 for f in result["firedAfter"])
    tuned = load_model(job["out"])
    start = load_model(job["start"])
    for name in pruned.matrix_names():
        assert np.array_equal(np.asarray(tuned.tensors[name]) == 0,
                              np.asarray(start.tensors[name]) == 0), name
    assert not np.array_equal(np.asarray(tuned.tensors["weight_ih_l0"]),
                              np.asarray(start.tensors["weight_ih_l0"]))
    # the DeltaStack's forward pass is the delta forward pass with its thresholds
    stack = delta_stack(tuned, 0.05, [0.02, 0.03], torch.float64)
    assert isinstance(stack, DeltaStack)
    batch = make_batch(DataSet(walk()), torch.float64)
    expected = delta_forward(stack, batch.x, 0.05, [0.02, 0.03], batch.lengths).outputs
    assert torch.equal(stack(batch.x, batch.lengths), expected)
    with pytest.raises(ValueError, match="one threshold per layer"):
        delta_stack(tuned, [0.1], 0.1)


def test_theta_m_delta_codes_the_projection_input():
    stack = stack_of("lstm", proj=3, seed=2)
    batch = make_batch(DataSet(walk()), torch.float64)
    live = (torch.arange(batch.x.shape[1]).unsqueeze(0) < batch.lengths.unsqueeze(1))
    dense = delta_forward(stack, batch.x, 0.1, 0.1, batch.lengths)
    zero = delta_forward(stack, batch.x, 0.1, 0.1, batch.lengths, theta_m=0.0)
    assert torch.allclose(zero.outputs[live], dense.outputs[live], atol=1e-12)
    assert all(int(f.sum()) == 0 for f in dense.fired_m)  # no theta_m: dense projection
    some = delta_forward(stack, batch.x, 0.1, 0.1, batch.lengths, theta_m=[0.05, 0.2])
    every = int(sum(f.sum() for f in zero.fired_m))
    fired = int(sum(f.sum() for f in some.fired_m))
    assert 0 < fired < every
    for b, n in enumerate(batch.lengths.tolist()):
        assert int(some.fired_m[0][b, n:].sum()) == 0
    none = delta_forward(stack, batch.x, 0.1, 0.1, batch.lengths, theta_m=100.0)
    assert torch.count_nonzero(none.outputs) == 0  # m_hat stays 0, so h = W_hr m_hat = 0
    with pytest.raises(ValueError, match="projection"):
        delta_forward(stack_of("lstm"), batch.x, 0.1, 0.1, batch.lengths, theta_m=0.1)
    # the gradient flows through m (straight-through)
    stack.zero_grad()
    delta_forward(stack, batch.x, 0.1, 0.1, batch.lengths, theta_m=0.05).outputs.sum().backward()
    assert stack.weight_ih_l0.grad is not None and float(stack.weight_ih_l0.grad.abs().sum()) > 0
    accuracy, fractions = delta_accuracy(stack, torch.nn.Linear(3, 2, dtype=torch.float64),
                                         DataSet(walk(), [0, 1] * 3), 0.1, 0.1, 0.05)
    assert 0 <= accuracy <= 1 and all(0 < f < 1 for f in fractions)
