"""The trained speech models of ``deno task bench:delta``, made reproducibly and cached
(docs/delta.md, "Trained models"): ``deno task models:speech [--set small|ese|all]`` runs
``python -m rnnfab.speech_models``.

For each model set (``RECIPES``), in ``DIR/models`` (default ``.cache/speech/models``, never
committed), each stage from the one before, every random draw seeded:

1. ``NAME.json`` + ``NAME.head.json``: dense training (``rnnfab.speech.train_lstm``; with
   ``trainSubset`` every stage trains on that many training utterances, a seeded draw);
2. ``NAME_bcr0.json``: BCR pruning by rnnfab's own pruner (``deno run -A cli/prune.ts --block
   --col-keep --row-keep --pes [--balance columns]``, balanced over the design's PEs; with
   ``balance: columns`` every column's non-zeros spread evenly over them, for the delta datapath);
3. ``NAME_bcr.json``: BCR only: fine-tuned with the mask held and the head fixed;
4. ``NAME_bcr_delta.json``: BCR + delta: ``NAME_bcr`` fine-tuned further with the thresholds in
   the forward pass (straight-through), the mask held, the head fixed; with ``search`` in the
   recipe's delta stage, then rounds of the threshold search on the validation split
   (``rnnfab.delta_search``) and fine-tuning at the thresholds found (with ``finalSearch``, one
   more search after the last fine-tuning); the thresholds the model is used with are recorded
   as ``stages.delta.thresholds``.

A set may share another set's stages (its files and record, never copies): ``denseOf`` its dense
model and head, ``bcrOf`` its dense, pruned and BCR models.

``NAME.models.json`` records each stage's recipe key (its settings, the key of the stage before
and the SHA-256 of the data files), its CPU seconds and its float32 test accuracy (measured). A
stage whose output exists with the same key is reused; one whose key changed is made again (with
every stage after it). Files this module did not record are never overwritten.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from .data import load_data, load_head, save_head
from .mask import bcr_masks, masks_hold
from .model_io import load_model, save_model
from .modules import RnnStack
from .delta_search import Thresholds, column_costs, evaluate, search_thresholds
from .speech import float_accuracy, train_delta_masked, train_lstm

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Epochs are sized for 2 shared cores (docs/delta.md gives the CPU seconds of each stage).
RECIPES = {
    "small": {
        "name": "speech_lstm", "features": 40, "hidden": 64, "proj": 0, "layers": 2,
        "dense": {"epochs": 15, "lr": 8e-3, "batch": 16},
        "prune": {"block": "8x8", "colKeep": 0.5, "rowKeep": 0.5, "pes": 32,
                  "balance": "columns"},
        "bcr": {"epochs": 6, "lr": 2e-3, "batch": 16},
        "delta": {"theta": 0.3, "epochs": 4, "lr": 1e-3, "batch": 16},
    },
    # The ESE shape costs ~50x the small model per frame (~175 CPU s an epoch of all 756
    # training utterances; docs/delta.md gives the measured cost of each stage; at lr 3e-3 its
    # loss did not fall in 2 epochs). Density 0.25 and theta_m 0.2 (docs/delta.md, "Training"):
    # at 0.125 the masked fine-tuning stopped at 92.2% (train loss 0.035: the 756 utterances, not
    # the epochs, limit it) and theta_m 0.3 cost 1.6 more points; at 0.25 BCR alone scores 94.7%.
    "ese": {
        "name": "speech_lstmp1024x512", "features": 153, "hidden": 1024, "proj": 512, "layers": 1,
        "dense": {"epochs": 12, "lr": 1.5e-3, "batch": 16},
        "prune": {"block": "8x8", "colKeep": 0.5, "rowKeep": 0.5, "pes": 32,
                  "balance": "columns"},
        "bcr": {"epochs": 8, "lr": 1e-3, "batch": 16},
        "delta": {"theta": 0.3, "thetaM": 0.2, "epochs": 4, "lr": 5e-4, "batch": 16},
    },
    # The ESE shape pruned for 32 PEs x 16 MAC lanes (``gen --format ese --lanes 16``): rows in
    # lane order, whole lines of 16 rows kept or removed (``prune --lanes``; blocks of 16 lines x
    # 16 columns), PEs balanced by lines. Same dense model as "ese" (its files, not a copy), same
    # density and fine-tuning; docs/delta.md "Trained for MAC lanes".
    "ese-l16": {
        "name": "speech_lstmp1024x512_l16", "denseOf": "ese",
        "features": 153, "hidden": 1024, "proj": 512, "layers": 1,
        "dense": {"epochs": 12, "lr": 1.5e-3, "batch": 16},
        "prune": {"block": "256x16", "colKeep": 0.5, "rowKeep": 0.5, "pes": 32, "lanes": 16},
        "bcr": {"epochs": 8, "lr": 1e-3, "batch": 16},
        "delta": {"theta": 0.3, "thetaM": 0.2, "epochs": 4, "lr": 5e-4, "batch": 16},
    },
    # As "ese-l16" at half the density (0.125: 4 of a block's 16 lines kept instead of 8): half
    # the MACs a fired column costs. The lanes model at 0.25 scored 1.2 points above the dense
    # model after masking (3.3 with delta), room that this set spends on speed; docs/delta.md.
}
# As "ese-l16" at half the density (0.125: 4 of a block's 16 lines kept instead of 8): half the
# MACs a fired column costs. An attempt: 4.9 points below dense, outside the accuracy budget
# (docs/delta.md, "Session 14").
RECIPES["ese-l16-d125"] = {
    **RECIPES["ese-l16"], "name": "speech_lstmp1024x512_l16_d125",
    "prune": {**RECIPES["ese-l16"]["prune"], "rowKeep": 0.25},
}
# As "ese-l16" (its dense, pruned and BCR models, not copies), the thresholds chosen by the
# threshold search (rnnfab.delta_search) on the validation split instead of set by hand: three
# rounds of a search (the fewest modeled MAC cycles a frame on 32 PEs x 16 lanes within 1 point of
# the dense model's float32 validation accuracy) and a fine-tuning at what it found; the model is
# used at the last fine-tuning's thresholds. A last search without fine-tuning after it
# ("finalSearch") sat on the floor and scored 1.23 points below dense on the test set, with the
# whole point and with half of it (docs/delta.md, "Choosing the thresholds").
RECIPES["ese-l16-s"] = {
    **RECIPES["ese-l16"], "name": "speech_lstmp1024x512_l16_s", "bcrOf": "ese-l16",
    "delta": {**RECIPES["ese-l16"]["delta"], "search": {
        "rounds": 3, "finalSearch": False, "budgetPoints": 1.0, "pes": 32, "lanes": 16,
        "steps": {"input": 0.1, "hidden": 0.05, "projection": 0.05}}},
}
# As "ese-l16-s" (the same dense model, density, fine-tuning and threshold search), pruned with
# column balance over lines (``prune --lanes 16 --balance columns``): every column's lines spread
# over the 32 PEs, so a fired column costs the busiest PE ~3 cycles instead of ~4 (the mean PE's
# 2); its own pruned and BCR models (docs/delta.md, "Column-balanced lanes").
RECIPES["ese-l16-cb"] = {
    **RECIPES["ese-l16-s"], "name": "speech_lstmp1024x512_l16_cb", "denseOf": "ese",
    "prune": {**RECIPES["ese-l16"]["prune"], "balance": "columns"},
}
del RECIPES["ese-l16-cb"]["bcrOf"]
STAGES = ("dense", "prune", "bcr", "delta")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_record(path: str) -> dict:
    """A set's record (``NAME.models.json``), empty where there is none yet."""
    if not os.path.exists(path):
        return {"generator": "rnnfab python -m rnnfab.speech_models", "stages": {}}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _key(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


SHARING = {"denseOf": "dense", "bcrOf": "bcr"}  # recipe field: the last stage it shares


def _set_of(name: str) -> str:
    """The --set whose recipe has the model name ``name``."""
    return next(key for key, recipe in RECIPES.items() if recipe["name"] == name)


def _stage_owners(recipe: dict) -> dict:
    """Stage -> the model name whose files and record hold it, for the stages ``recipe`` shares
    (followed through the owner's own sharing). The shared stages' settings and the shape must
    be the owner's."""
    owners = {}
    for field, through in SHARING.items():
        owner_set = recipe.get(field)
        if not owner_set:
            continue
        owner = RECIPES[owner_set]
        stages = STAGES[:STAGES.index(through) + 1]
        shape_keys = ("features", "hidden", "proj", "layers", "trainSubset") + stages
        if any(owner.get(k) != recipe.get(k) for k in shape_keys):
            raise SystemExit(f"recipe {recipe['name']}: {field} {owner_set} needs the same "
                             f"shape and settings of {', '.join(stages)}")
        inherited = _stage_owners(owner)
        for stage in stages:
            owners[stage] = inherited.get(stage, owner["name"])
    return owners


class Pipeline:
    """One model set's stages, their outputs and the record (``NAME.models.json``)."""

    def __init__(self, recipe: dict, data_dir: str, out: str, log=print):
        self.recipe, self.out, self.log = recipe, out, log
        self.name = recipe["name"]
        features = recipe["features"]
        self.train_path = os.path.join(data_dir, f"speech{features}_train.safetensors")
        self.test_path = os.path.join(data_dir, f"speech{features}_test.safetensors")
        for path in (self.train_path, self.test_path):
            if not os.path.exists(path):
                raise SystemExit(f"{path}: missing; make the speech set first "
                                 "(deno task data:speech)")
        self.val_path = os.path.join(data_dir, f"speech{features}_val.safetensors")
        self.record_path = os.path.join(out, f"{self.name}.models.json")
        self.record = _read_record(self.record_path)
        # stages shared with another set ("denseOf": its dense model, "bcrOf": its dense, pruned
        # and BCR models): this set reads that set's files and record for them
        self.owners = _stage_owners(recipe)
        self.dense_name = self.owners.get("dense", self.name)
        data_key = [_sha256(self.train_path), _sha256(self.test_path)]
        shape = {k: recipe.get(k) for k in ("features", "hidden", "proj", "layers", "trainSubset")}
        self.keys, previous = {}, _key([shape, data_key])
        for stage in STAGES:
            settings = [previous, stage, recipe[stage]]
            if stage == "delta" and recipe[stage].get("search"):
                settings.append(self._val_key())
            previous = self.keys[stage] = _key(settings)
        self._train = self._test = None

    def _val_key(self) -> str:
        if not os.path.exists(self.val_path):
            raise SystemExit(f"{self.val_path}: missing; the threshold search needs the speech "
                             "set's validation split: make the set again (deno task data:speech)")
        return _sha256(self.val_path)

    def path(self, stage: str) -> str:
        """The model file a stage writes (a shared stage's: the owner's)."""
        suffix = {"dense": "", "prune": "_bcr0", "bcr": "_bcr", "delta": "_bcr_delta"}[stage]
        return os.path.join(self.out, f"{self.owners.get(stage, self.name)}{suffix}.json")

    @property
    def head_path(self) -> str:
        """The head file (written by the dense stage)."""
        return os.path.join(self.out, f"{self.dense_name}.head.json")

    def data(self):
        """Training and test sets (loaded once)."""
        if self._train is None:
            self._train, self._test = load_data(self.train_path), load_data(self.test_path)
            subset = self.recipe.get("trainSubset")
            if subset and subset < len(self._train):
                draw = np.random.default_rng(19).choice(len(self._train), subset, replace=False)
                self._train = self._train.subset(np.sort(draw))
        return self._train, self._test

    def fresh(self, stage: str) -> bool:
        """Whether the stage's output exists and was made with the current key."""
        record = self.record
        if stage in self.owners:
            record = _read_record(os.path.join(self.out, f"{self.owners[stage]}.models.json"))
        entry = record["stages"].get(stage)
        return bool(entry) and entry.get("key") == self.keys[stage] and os.path.exists(
            self.path(stage))

    def _check_writable(self, stage: str) -> None:
        if os.path.exists(self.path(stage)) and stage not in self.record["stages"]:
            raise SystemExit(f"{self.path(stage)}: exists and was not made by rnnfab.speech_models"
                             "; move it away or choose another --out")

    def _save_record(self) -> None:
        temp = self.record_path + ".tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(self.record, handle, indent=2)
            handle.write("\n")
        os.replace(temp, self.record_path)

    def run(self) -> None:
        """Make every stage that is not fresh (and every stage after it)."""
        stale = False
        for stage in STAGES:
            stale = stale or not self.fresh(stage)
            if not stale:
                self.log(f"{self.name} {stage}: cached ({self.path(stage)})")
                continue
            if stage in self.owners:
                raise SystemExit(f"{self.path(stage)}: missing or out of date; this set shares "
                                 f"the {stage} model of --set {_set_of(self.owners[stage])}: "
                                 "make that first")
            self._check_writable(stage)
            start, wall = time.process_time(), time.time()
            figures = getattr(self, f"_make_{stage}")()
            self.record["stages"][stage] = {
                "key": self.keys[stage], "settings": self.recipe[stage],
                "cpuSeconds": round(time.process_time() - start, 1),
                "wallSeconds": round(time.time() - wall, 1), **figures}
            self._save_record()
            self.log(f"{self.name} {stage}: {json.dumps(self.record['stages'][stage])}")

    def _accuracy(self, stack: RnnStack, head, theta: float = 0.0,
                  theta_input: float | None = None, theta_m: float | None = None) -> dict:
        accuracy, fired = float_accuracy(stack, head, self.data()[1], theta, theta_input, theta_m)
        figures = {"theta": theta, "accuracy": accuracy, "firedFraction": fired,
                   "label": "measured: float32 PyTorch on the test set"}
        if theta_input is not None:
            figures["thetaInput"] = theta_input
        if theta_m is not None:
            figures["thetaM"] = theta_m
        return figures

    def _make_dense(self) -> dict:
        recipe, (train, _) = self.recipe, self.data()
        settings = recipe["dense"]
        stack = RnnStack("lstm", recipe["features"], recipe["hidden"], recipe["layers"],
                         proj_size=recipe["proj"], seed=19).to(torch.float32)
        torch.manual_seed(19)
        head = torch.nn.Linear(stack.output_size, int(max(train.labels)) + 1)
        train_lstm(stack, head, train, epochs=settings["epochs"], lr=settings["lr"],
                   batch_size=settings["batch"], seed=19,
                   log=lambda line: self.log(f"{self.name} dense {line}"))
        save_model(stack.to_rnnfab(), self.path("dense"), safetensors=True)
        save_head(head, self.head_path)
        return {"test": self._accuracy(stack, head)}

    def _make_prune(self) -> dict:
        settings = self.recipe["prune"]
        command = ["deno", "run", "-A", os.path.join(ROOT, "cli", "prune.ts"),
                   "--model", self.path("dense"), "--block", settings["block"],
                   "--col-keep", str(settings["colKeep"]), "--row-keep", str(settings["rowKeep"]),
                   "--pes", str(settings["pes"]), "--safetensors", "--quiet",
                   "--out", self.path("prune")]
        if settings.get("balance"):
            command[-2:-2] = ["--balance", settings["balance"]]
        if settings.get("lanes"):
            command[-2:-2] = ["--lanes", str(settings["lanes"])]
        self.log(f"{self.name} prune: {' '.join(command)}")
        subprocess.run(command, check=True, cwd=ROOT)
        stack = RnnStack.from_rnnfab(load_model(self.path("prune")))
        return {"test": self._accuracy(stack, self._head())}

    def _head(self) -> torch.nn.Linear:
        return load_head(self.head_path).to(torch.float32)

    def _make_bcr(self) -> dict:
        settings, (train, _) = self.recipe["bcr"], self.data()
        stack = RnnStack.from_rnnfab(load_model(self.path("prune")))
        masks = bcr_masks(stack)
        head = self._head()
        train_lstm(stack, head, train, epochs=settings["epochs"], lr=settings["lr"],
                   batch_size=settings["batch"], seed=21, masks=masks, train_head=False,
                   forget_bias=False, log=lambda line: self.log(f"{self.name} bcr {line}"))
        if not masks_hold(stack, masks):
            raise RuntimeError("the BCR mask changed during fine-tuning")
        save_model(stack.to_rnnfab(), self.path("bcr"), safetensors=True)
        delta = self.recipe["delta"]
        return {"test": self._accuracy(stack, head), "testAtTheta": self._accuracy(
            stack, head, delta["theta"], delta.get("thetaInput"), delta.get("thetaM"))}

    def _make_delta(self) -> dict:
        settings = self.recipe["delta"]
        stack = RnnStack.from_rnnfab(load_model(self.path("bcr")))
        masks = bcr_masks(stack)
        head = self._head()
        thresholds = Thresholds(settings.get("thetaInput", settings["theta"]), settings["theta"],
                                settings.get("thetaM"))
        self._fine_tune_delta(stack, head, masks, thresholds, seed=22)
        figures = {}
        if settings.get("search"):
            thresholds, figures["search"] = self._search(stack, head, masks, thresholds,
                                                         settings["search"])
        save_model(stack.to_rnnfab(), self.path("delta"), safetensors=True)
        figures["thresholds"] = {"theta": thresholds.hidden, "thetaInput": thresholds.input,
                                 "thetaM": thresholds.projection}
        return {**figures, "testAtTheta": self._accuracy(
            stack, head, thresholds.hidden, thresholds.input, thresholds.projection),
            "test": self._accuracy(stack, head)}

    def _fine_tune_delta(self, stack: RnnStack, head, masks: dict, thresholds: Thresholds,
                         seed: int) -> None:
        """Fine-tune with ``thresholds`` in the forward pass, the mask held, the head fixed."""
        settings, (train, _) = self.recipe["delta"], self.data()
        train_delta_masked(stack, head, train, theta=thresholds.hidden,
                           epochs=settings["epochs"], lr=settings["lr"],
                           batch_size=settings["batch"], seed=seed, masks=masks,
                           theta_input=thresholds.input, theta_m=thresholds.projection,
                           log=lambda line: self.log(f"{self.name} delta {line}"))
        if not masks_hold(stack, masks):
            raise RuntimeError("the BCR mask changed during delta fine-tuning")

    def _search(self, stack: RnnStack, head, masks: dict, start: Thresholds,
                search: dict) -> tuple[Thresholds, dict]:
        """``rounds`` times: search the thresholds on the validation set, then fine-tune at
        them; the model is used at the last fine-tuning's thresholds, or with ``finalSearch``
        at those of one more search (without fine-tuning after it). The accuracy floor is the
        dense model's validation accuracy less ``budgetPoints``."""
        val = load_data(self.val_path)
        costs = column_costs(stack, search["pes"], search["lanes"])
        dense = RnnStack.from_rnnfab(load_model(self.path("dense"))).to(torch.float32)
        dense_accuracy = evaluate(dense, head, val, Thresholds(0.0, 0.0),
                                  [{}] * dense.num_layers).accuracy
        floor = dense_accuracy - search["budgetPoints"] / 100
        self.log(f"{self.name} search: dense validation accuracy {dense_accuracy:.4f}, floor "
                 f"{floor:.4f}, modeled cycles of a fired column {costs}")
        rounds, current = [], start
        for round_index in range(search["rounds"] + (1 if search.get("finalSearch") else 0)):
            result = search_thresholds(
                stack, head, val, start=current, floor=floor, steps=search["steps"],
                costs=costs, limits=search.get("limits"),
                log=lambda line: self.log(f"{self.name} search {round_index}: {line}"))
            rounds.append(result.to_json())
            current = result.best.thresholds
            if round_index < search["rounds"]:
                self._fine_tune_delta(stack, head, masks, current, seed=23 + round_index)
        final = evaluate(stack, head, val, current, costs)
        self.log(f"{self.name} search: the model at its thresholds: {final.to_json()}")
        return current, {"denseValAccuracy": dense_accuracy, "validation": self.val_path,
                         "columnCosts": costs, "rounds": rounds, "final": final.to_json()}


def main(argv: list[str]) -> int:
    """Make (or reuse) the model sets named by --set."""
    parser = argparse.ArgumentParser(prog="deno task models:speech",
                                     description="Train, prune and fine-tune the speech models "
                                     "of bench:delta (cached).")
    parser.add_argument("--set", choices=(*RECIPES, "all"), default="small")
    parser.add_argument("--data", default=os.path.join(ROOT, ".cache", "speech"))
    parser.add_argument("--out", default=None, help="default: DATA/models")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out = args.out or os.path.join(args.data, "models")
    os.makedirs(out, exist_ok=True)
    for name in (list(RECIPES) if args.set == "all" else [args.set]):
        Pipeline(copy.deepcopy(RECIPES[name]), args.data, out,
                 log=lambda line: print(line, flush=True)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
