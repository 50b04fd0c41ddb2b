"""Tests of rnnfab.delta_search and of a speech set sharing another's BCR models (run by
tests/python_test.ts under pytest)."""

from __future__ import annotations

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rnnfab.delta_search import (Thresholds, column_costs, evaluate,  # noqa: E402
                                 search_thresholds)
from test_speech import pruned_stack, words  # noqa: E402  (the same slow walks and stack)

torch.set_num_threads(1)


def lstmp():
    """A BCR-pruned LSTM with projection (test_speech's) and a head."""
    stack, _ = pruned_stack(proj=4)
    torch.manual_seed(0)
    return stack, torch.nn.Linear(stack.output_size, 3)


def test_thresholds_per_layer_and_column_costs():
    assert Thresholds(0.7, 0.3, 0.2).per_layer(2) == ([0.7, 0.3], [0.3, 0.3], [0.2, 0.2])
    assert Thresholds(0.7, 0.3).per_layer(1) == ([0.7], [0.3], None)
    stack, _ = lstmp()
    nonzeros = float((stack.weight_ih_l0 != 0).sum()) / 5
    # one PE, one lane: a fired input column costs its non-zeros; at many lanes at least 1
    assert column_costs(stack, 1, 1)[0]["x"] == pytest.approx(max(1.0, nonzeros))
    assert column_costs(stack, 4, 16) == [{"x": 1.0, "h": 1.0, "m": 1.0}]


def test_search_stays_within_the_floor_and_raises_thresholds_until_none_does():
    stack, head = lstmp()
    data = words()
    costs = column_costs(stack, 1, 1)
    start = Thresholds(0.0, 0.0, 0.0)
    steps = {"input": 0.2, "hidden": 0.1, "projection": 0.1}
    # a floor nothing reaches: the start is kept, and every move was tried once
    stuck = search_thresholds(stack, head, data, start=start, floor=1.1, steps=steps,
                              costs=costs, log=lambda _: None)
    assert stuck.best.thresholds == start and len(stuck.trace) == 4
    # no floor: every threshold rises to its limit, each move the cheapest of its round
    free = search_thresholds(stack, head, data, start=start, floor=0.0, steps=steps,
                             costs=costs, limits={"input": 0.4, "hidden": 0.2,
                                                  "projection": 0.1}, log=lambda _: None)
    assert free.best.thresholds == Thresholds(0.4, 0.2, 0.1)
    assert free.best.cost <= free.trace[0].cost
    # a floor between: the pick's accuracy is within it, and it is the evaluation recorded
    floor = free.trace[0].accuracy - 0.2
    picked = search_thresholds(stack, head, data, start=start, floor=floor, steps=steps,
                               costs=costs, log=lambda _: None)
    assert picked.best.accuracy >= floor
    again = evaluate(stack, head, data, picked.best.thresholds, costs)
    assert again == picked.best
    assert picked.to_json()["picked"]["thresholds"] == {
        "input": picked.best.thresholds.input, "hidden": picked.best.thresholds.hidden,
        "projection": picked.best.thresholds.projection}


def test_a_set_sharing_bcr_models_reads_the_owner_files_through_its_own_sharing(tmp_path,
                                                                               monkeypatch):
    from rnnfab import speech_models
    for split in ("train", "test", "val"):
        (tmp_path / f"speech5_{split}.safetensors").write_bytes(split.encode())
    shape = {"features": 5, "hidden": 8, "proj": 0, "layers": 1, "dense": {"epochs": 1}}
    stages = {"prune": {"block": "4x4"}, "bcr": {"epochs": 1}, "delta": {"theta": 0.1}}
    owner = {"name": "owner", **shape, **stages}
    lanes = {"name": "lanes", "denseOf": "owner", **shape, **stages}
    search = {"name": "search", "bcrOf": "lanes", **shape, **stages,
              "delta": {"theta": 0.1, "search": {"rounds": 1}}}
    recipes = {"owner": owner, "lanes": lanes, "search": search}
    monkeypatch.setattr(speech_models, "RECIPES", recipes)
    pipeline = speech_models.Pipeline(search, str(tmp_path), str(tmp_path))
    assert pipeline.path("dense") == str(tmp_path / "owner.json")
    assert pipeline.path("prune") == str(tmp_path / "lanes_bcr0.json")
    assert pipeline.path("bcr") == str(tmp_path / "lanes_bcr.json")
    assert pipeline.path("delta") == str(tmp_path / "search_bcr_delta.json")
    assert pipeline.keys["bcr"] == speech_models.Pipeline(lanes, str(tmp_path),
                                                         str(tmp_path)).keys["bcr"]
    try:  # lanes has not made its BCR model: nothing is trained under this set's name
        pipeline.run()
        raise AssertionError("expected SystemExit")
    except SystemExit as stop:
        assert "--set owner" in str(stop) or "--set lanes" in str(stop)
    monkeypatch.setitem(recipes, "search", {**search, "bcr": {"epochs": 2}})
    with pytest.raises(SystemExit, match="same shape and settings of dense, prune, bcr"):
        speech_models.Pipeline(recipes["search"], str(tmp_path), str(tmp_path))
