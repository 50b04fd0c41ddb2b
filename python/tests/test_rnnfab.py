"""Tests of the rnnfab Python package (run by tests/python_test.ts under pytest)."""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab import RnnStack, apply_masks, bcr_masks, hold_masks, load_model, masks_hold, save_model  # noqa: E402
from rnnfab.bcr import bcr_mask, project_bcr  # noqa: E402
from rnnfab.data import DataSet, batches, load_data, make_batch, save_data  # noqa: E402
from rnnfab.finetune import TrainConfig, distill_loss, evaluate, finetune_masked  # noqa: E402
from rnnfab.modules import last_outputs  # noqa: E402
from rnnfab.quant import choose_weight_frac, fake_quantize, quantize_value  # noqa: E402

torch.set_num_threads(1)


def random_stack(kind="lstm", inputs=5, hidden=8, layers=2, proj=0, seed=0):
    return RnnStack(kind, inputs, hidden, layers, proj_size=proj, seed=seed).to(torch.float64)


def random_data(n=12, inputs=5, seed=0, classes=3, per_step=False):
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(int(rng.integers(2, 7)), inputs)) for _ in range(n)]
    labels = ([rng.integers(0, classes, size=len(s)) for s in sequences] if per_step
              else [int(v) for v in rng.integers(0, classes, size=n)])
    return DataSet(sequences, labels)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_matches_torch_rnn_modules(kind):
    stack = random_stack(kind, layers=2)
    reference = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(5, 8, 2, batch_first=True)
    reference = reference.to(torch.float64)
    reference.load_state_dict({k: v for k, v in stack.state_dict().items()})
    x = torch.randn(3, 6, 5, dtype=torch.float64)
    assert torch.allclose(stack(x), reference(x)[0], atol=1e-12)


def test_lstm_projection_matches_torch():
    stack = random_stack("lstm", layers=1, hidden=8, proj=3)
    reference = torch.nn.LSTM(5, 8, 1, batch_first=True, proj_size=3).to(torch.float64)
    reference.load_state_dict(stack.state_dict())
    x = torch.randn(2, 4, 5, dtype=torch.float64)
    assert torch.allclose(stack(x), reference(x)[0], atol=1e-12)


def test_padded_batch_equals_single_runs():
    stack = random_stack("gru")
    data = random_data()
    batch = make_batch(data, torch.float64)
    last = last_outputs(stack(batch.x, batch.lengths), batch.lengths)
    for i, sequence in enumerate(data.sequences):
        single = stack(torch.from_numpy(sequence).unsqueeze(0))[0, -1]
        assert torch.allclose(last[i], single, atol=1e-12)


@pytest.mark.parametrize("safetensors", [False, True])
def test_model_round_trip(tmp_path, safetensors):
    stack = random_stack("lstm", proj=3)
    path = str(tmp_path / "m.json")
    save_model(stack.to_rnnfab(), path, safetensors=safetensors)
    loaded = load_model(path)
    for name, value in stack.to_rnnfab().tensors.items():
        assert np.array_equal(loaded.tensors[name], value.astype(np.float32).astype(np.float64))
    assert os.path.exists(str(tmp_path / "m.safetensors")) == safetensors


def test_data_round_trip(tmp_path):
    data = random_data(per_step=True)
    path = str(tmp_path / "d.json")
    save_data(data, path)
    loaded = load_data(path)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.sequences, data.sequences))
    assert all(np.array_equal(a, b) for a, b in zip(loaded.labels, data.labels))
    with pytest.raises(ValueError):
        save_data(DataSet([np.array([[math.nan]])]), str(tmp_path / "nan.json"))


def is_bcr(mask: torch.Tensor, block) -> bool:
    rows, cols = mask.shape
    for r0 in range(0, rows, block[0]):
        for c0 in range(0, cols, block[1]):
            b = mask[r0:r0 + block[0], c0:c0 + block[1]]
            rect = b.any(1).unsqueeze(1) & b.any(0).unsqueeze(0)
            if not torch.equal(rect, b):
                return False
    return True


def test_bcr_mask_is_bcr_at_the_rates():
    rng = torch.Generator().manual_seed(3)
    for trial in range(20):
        rows, cols = 8 + trial * 3, 5 + trial * 2
        block = (4 + trial % 5, 4 + trial % 3)
        weight = torch.randn(rows, cols, generator=rng, dtype=torch.float64)
        col_keep, row_keep = 0.25 + 0.03 * trial, 0.5
        mask = bcr_mask(weight, block, col_keep, row_keep)
        assert is_bcr(mask, block)
        assert abs(float(mask.double().mean()) - col_keep * row_keep) < 0.12
        projected = project_bcr(weight, block, col_keep, row_keep)
        assert torch.equal(projected != 0, mask)


def test_masks_hold_through_training_property():
    """For random models, random BCR masks and optimizers with weight decay, the zeros never
    change and kept weights do move."""
    for trial in range(12):
        kind = "lstm" if trial % 2 == 0 else "gru"
        stack = random_stack(kind, inputs=3 + trial % 4, hidden=4 + trial % 5, layers=1 + trial % 2,
                             seed=trial)
        block = (1 + trial % 4, 1 + (trial * 3) % 5)
        with torch.no_grad():
            for name in stack.matrix_names():
                w = getattr(stack, name)
                w.copy_(project_bcr(w, block, 0.3 + 0.05 * (trial % 5), 0.6))
        masks = bcr_masks(stack)
        before = {n: getattr(stack, n).detach().clone() for n in masks}
        optimizer = (torch.optim.AdamW(stack.parameters(), lr=0.05, weight_decay=0.1)
                     if trial % 3 else torch.optim.SGD(stack.parameters(), lr=0.1, momentum=0.9))
        hold = hold_masks(stack, optimizer, masks)
        x = torch.randn(4, 5, stack.input_size, dtype=torch.float64)
        for _ in range(5):
            loss = (stack(x) ** 2).sum() + sum((p ** 2).sum() for p in stack.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        hold.remove()
        assert masks_hold(stack, masks)
        for name, mask in masks.items():
            after = getattr(stack, name).detach()
            assert torch.equal(after != 0, mask), name
            if mask.any():
                assert not torch.equal(after[mask], before[name][mask])


def test_apply_masks_zeroes_pruned_weights():
    stack = random_stack()
    masks = {n: torch.rand_like(getattr(stack, n)) > 0.5 for n in stack.matrix_names()}
    apply_masks(stack, masks)
    assert masks_hold(stack, masks)


def test_finetune_reduces_distillation_loss():
    torch.manual_seed(0)
    teacher = random_stack("lstm", inputs=4, hidden=8, layers=1, seed=1).to(torch.float32)
    student = random_stack("lstm", inputs=4, hidden=8, layers=1, seed=1).to(torch.float32)
    with torch.no_grad():
        for name in student.matrix_names():
            w = getattr(student, name)
            w.copy_(project_bcr(w, (4, 4), 0.5, 0.5))
    data = random_data(n=80, inputs=4, seed=2)
    masks = bcr_masks(student)
    before = evaluate(student, teacher, data)["distillLoss"]
    history = finetune_masked(student, teacher, data, None,
                              TrainConfig(epochs=8, lr=2e-2, held_out=0.2, log=lambda _: None))
    after = evaluate(student, teacher, data)["distillLoss"]
    assert after < 0.85 * before, (before, after)
    assert history[0]["epoch"] == 0 and len(history) == 9
    assert masks_hold(student, masks)


def test_quantizer_matches_rnnfab():
    assert quantize_value(0.5, 12, 10) == 512
    assert quantize_value(-3.0, 8, 6) == -128  # saturates
    assert quantize_value(-0.5 / 1024, 12, 10) == 0  # half up
    assert choose_weight_frac(0.9, 12) == 11
    assert choose_weight_frac(1.5, 8) == 6
    x = torch.tensor([0.1, -0.26, 7.9, 9.0], requires_grad=True)
    q = fake_quantize(x, 8, 4)
    assert torch.allclose(q, torch.tensor([0.125, -0.25, 7.875, 7.9375]))
    q.sum().backward()
    assert torch.equal(x.grad, torch.ones(4))


def test_batches_cover_the_data_in_order():
    data = random_data(n=7, per_step=True)
    seen = []
    for batch in batches(data, 3):
        assert batch.labels.shape == batch.x.shape[:2]
        seen += batch.lengths.tolist()
    assert seen == [len(s) for s in data.sequences]
