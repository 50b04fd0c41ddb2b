"""Tests of rnnfab.speech and rnnfab.speech_models' record (run by tests/python_test.ts under
pytest)."""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab import RnnStack  # noqa: E402
from rnnfab.bcr import bcr_mask  # noqa: E402
from rnnfab.data import DataSet  # noqa: E402
from rnnfab.mask import apply_masks, bcr_masks, masks_hold  # noqa: E402
from rnnfab.speech import (float_accuracy, input_thresholds, train_delta_masked,  # noqa: E402
                           train_lstm)

torch.set_num_threads(1)


def words(n=12, inputs=5, seed=0):
    """Slow random walks whose label is the sign pattern of their drift (3 classes)."""
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for k in range(n):
        label = k % 3
        steps = int(rng.integers(12, 20))
        drift = (label - 1) * 0.2
        sequences.append(np.cumsum(rng.normal(drift, 0.05, size=(steps, inputs)), axis=0))
        labels.append(label)
    return DataSet(sequences, labels)


def pruned_stack(proj=0):
    stack = RnnStack("lstm", 5, 8, 1, proj_size=proj, seed=3).to(torch.float32)
    masks = {name: bcr_mask(getattr(stack, name), (4, 4), 0.5, 0.5)
             for name in stack.matrix_names()}
    apply_masks(stack, masks)
    return stack, masks


def test_masked_training_holds_the_mask_and_the_head_and_learns():
    stack, masks = pruned_stack(proj=3)
    torch.manual_seed(0)
    head = torch.nn.Linear(stack.output_size, 3)
    head_before = head.weight.detach().clone()
    data = words()
    before = {name: getattr(stack, name).detach().clone() for name in masks}
    train_lstm(stack, head, data, epochs=3, lr=1e-2, batch_size=4, masks=masks,
               train_head=False, forget_bias=False, log=lambda _: None)
    assert masks_hold(stack, masks)
    assert torch.equal(head.weight, head_before)
    assert any(not torch.equal(getattr(stack, n), before[n]) for n in masks)
    assert bcr_masks(stack).keys() == masks.keys()


def test_delta_fine_tuning_holds_the_mask_and_fires_less_with_larger_thresholds():
    stack, masks = pruned_stack()
    torch.manual_seed(0)
    head = torch.nn.Linear(stack.output_size, 3)
    data = words()
    train_delta_masked(stack, head, data, theta=0.1, epochs=2, lr=1e-2, batch_size=4,
                       masks=masks, log=lambda _: None)
    assert masks_hold(stack, masks)
    _, fired_small = float_accuracy(stack, head, data, 0.05)
    _, fired_large = float_accuracy(stack, head, data, 0.5)
    _, fired_zero = float_accuracy(stack, head, data, 0.0)
    assert fired_zero[0] > fired_small[0] > fired_large[0]


def test_input_threshold_sets_layer_zero_theta_x_only():
    stack = RnnStack("lstm", 5, 8, 2, seed=3).to(torch.float32)
    assert input_thresholds(stack, 0.3, None) == 0.3
    assert input_thresholds(stack, 0.3, 0.4) == [0.4, 0.3]
    torch.manual_seed(0)
    head = torch.nn.Linear(stack.output_size, 3)
    data = words()
    same = float_accuracy(stack, head, data, 0.2, 0.2)
    assert same == float_accuracy(stack, head, data, 0.2)
    _, fired_high = float_accuracy(stack, head, data, 0.2, 5.0)
    # layer 0's inputs never fire above 5 (slow walks), so layer 0 fires less
    assert fired_high[0] < same[1][0]


def test_a_set_sharing_a_dense_model_reads_the_owner_files_and_record(tmp_path, monkeypatch):
    from rnnfab import speech_models
    for split in ("train", "test"):
        (tmp_path / f"speech5_{split}.safetensors").write_bytes(split.encode())
    shape = {"features": 5, "hidden": 8, "proj": 0, "layers": 1, "dense": {"epochs": 1}}
    stages = {"prune": {"block": "4x4"}, "bcr": {"epochs": 1}, "delta": {"theta": 0.1}}
    owner = {"name": "owner", **shape, **stages}
    lanes = {"name": "lanes", "denseOf": "owner", **shape, **stages,
             "prune": {"block": "8x4", "lanes": 2}}
    monkeypatch.setattr(speech_models, "RECIPES", {"owner": owner, "lanes": lanes})
    logs = []
    shared = speech_models.Pipeline(lanes, str(tmp_path), str(tmp_path), log=logs.append)
    assert shared.path("dense") == str(tmp_path / "owner.json")
    assert shared.head_path == str(tmp_path / "owner.head.json")
    assert shared.path("prune") == str(tmp_path / "lanes_bcr0.json")
    try:  # the owner has not made its dense model yet: no training under the sharer's name
        shared.run()
        raise AssertionError("expected SystemExit")
    except SystemExit as stop:
        assert "--set owner" in str(stop)
    made = speech_models.Pipeline(owner, str(tmp_path), str(tmp_path))
    assert made.keys["dense"] == shared.keys["dense"]
    (tmp_path / "owner.json").write_text("{}")
    made.record["stages"]["dense"] = {"key": made.keys["dense"]}
    made._save_record()
    assert shared.fresh("dense") and not shared.fresh("prune")
    bad = {**lanes, "hidden": 16}
    monkeypatch.setitem(speech_models.RECIPES, "lanes", bad)
    try:
        speech_models.Pipeline(bad, str(tmp_path), str(tmp_path))
        raise AssertionError("expected SystemExit")
    except SystemExit as stop:
        assert "same shape" in str(stop)
