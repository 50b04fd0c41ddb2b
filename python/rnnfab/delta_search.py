"""The threshold search (docs/delta.md, "Choosing the thresholds"): the delta thresholds that
cost the fewest MAC cycles per frame within an accuracy budget, chosen on a validation set.

Three thresholds, real units, as the recipes of ``rnnfab.speech_models`` name them:
``input`` (theta_x of layer 0: the input features), ``hidden`` (theta_h of every layer and
theta_x of the layers after the first: hidden values) and, for an LSTM with projection,
``projection`` (theta_m of every layer). The cost of a fired column is the cycles its matrix
column takes on a datapath of ``pes`` PEs x ``lanes`` MAC lanes: its mean non-zeros over
``pes * lanes``, at least one (a PE takes one fired column a cycle), so the cost of a threshold
set is modeled MAC cycles per frame (fired columns x their cost). ``search_thresholds`` starts
from given thresholds and raises one of them at a time by its step, taking the move that costs
the least among those that cost less and whose validation accuracy stays within the budget,
until no move does.
Accuracies are measured (float32 PyTorch, the delta forward pass); costs are modeled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Callable, Optional

import torch

from .data import DataSet, batches
from .delta import delta_forward
from .modules import RnnStack, last_outputs

PARTS = ("input", "hidden", "projection")


@dataclass(frozen=True)
class Thresholds:
    """theta_x of layer 0 (``input``), theta_h and later layers' theta_x (``hidden``), theta_m
    (``projection``; None: the projection is not delta-coded). Real units."""

    input: float
    hidden: float
    projection: Optional[float] = None

    def per_layer(self, layers: int) -> tuple[list[float], list[float], Optional[list[float]]]:
        """(theta_x, theta_h, theta_m) lists for ``delta_forward``."""
        theta_x = [self.input] + [self.hidden] * (layers - 1)
        theta_m = None if self.projection is None else [self.projection] * layers
        return theta_x, [self.hidden] * layers, theta_m


@dataclass(frozen=True)
class Evaluation:
    """One threshold set on the validation set: accuracy (measured), fired columns per frame of
    each part (measured, all layers together) and modeled MAC cycles per frame."""

    thresholds: Thresholds
    accuracy: float
    fired: dict
    cost: float

    def to_json(self) -> dict:
        """Plain data (the record's trace)."""
        return {"thresholds": asdict(self.thresholds), "accuracy": self.accuracy,
                "firedPerFrame": self.fired, "modeledCyclesPerFrame": self.cost}


def column_costs(stack: RnnStack, pes: int, lanes: int) -> list[dict]:
    """Per layer, the modeled cycles of one fired column of each part: the matrix's mean
    non-zeros a column over ``pes * lanes``, at least 1."""
    def cost(name: str) -> float:
        weight = stack._weight(name).detach()
        per_column = float((weight != 0).sum()) / weight.shape[1]
        return max(1.0, per_column / (pes * lanes))

    costs = []
    for layer in range(stack.num_layers):
        entry = {"x": cost(f"weight_ih_l{layer}"), "h": cost(f"weight_hh_l{layer}")}
        if stack.proj_size > 0:
            entry["m"] = cost(f"weight_hr_l{layer}")
        costs.append(entry)
    return costs


@torch.no_grad()
def evaluate(stack: RnnStack, head: torch.nn.Linear, data: DataSet, thresholds: Thresholds,
             costs: list[dict]) -> Evaluation:
    """Accuracy on the last step, fired columns per frame of each part and their modeled cycles
    per frame, with ``thresholds``."""
    theta_x, theta_h, theta_m = thresholds.per_layer(stack.num_layers)
    correct, frames = 0, 0
    fired = {"x": 0.0, "h": 0.0, "m": 0.0}
    cycles = 0.0
    for batch in batches(data, 256, dtype=next(stack.parameters()).dtype):
        run = delta_forward(stack, batch.x, theta_x, theta_h, batch.lengths, theta_m)
        logits = head(last_outputs(run.outputs, batch.lengths))
        correct += int((logits.argmax(-1) == batch.labels).sum())
        frames += int(batch.lengths.sum())
        for layer, cost in enumerate(costs):
            for part, counts in (("x", run.fired_x), ("h", run.fired_h), ("m", run.fired_m)):
                if part in cost:
                    count = float(counts[layer].sum())
                    fired[part] += count
                    cycles += count * cost[part]
    return Evaluation(thresholds, correct / len(data),
                      {part: round(value / frames, 2) for part, value in fired.items()},
                      round(cycles / frames, 2))


@dataclass(frozen=True)
class SearchResult:
    """The chosen thresholds, their evaluation, and every evaluation in the order made."""

    best: Evaluation
    floor: float
    trace: list[Evaluation]

    def to_json(self) -> dict:
        """Plain data (the record)."""
        return {"picked": self.best.to_json(), "accuracyFloor": self.floor,
                "trace": [evaluation.to_json() for evaluation in self.trace],
                "label": "accuracy measured (float32 PyTorch, validation set); cycles modeled "
                         "(fired columns x non-zeros a column / (PEs x lanes), at least 1)"}


def search_thresholds(stack: RnnStack, head: torch.nn.Linear, data: DataSet, *,
                      start: Thresholds, floor: float, steps: dict, costs: list[dict],
                      limits: Optional[dict] = None, log: Callable[[str], None] = print
                      ) -> SearchResult:
    """Greedy search from ``start``: each round raises one threshold by ``steps[part]`` (parts
    without a step, or with None thresholds, stay), and takes the cheapest move that costs less
    than the current thresholds and whose accuracy is at least ``floor`` (ties: the more
    accurate); stops when no move does (every threshold at its ``limits[part]``, or nothing
    left to skip). ``start`` is kept when even it is below the floor."""
    limits = limits or {}
    current = evaluate(stack, head, data, start, costs)
    trace = [current]
    log(_line("start", current))
    while True:
        moves = []
        for part in PARTS:
            value = getattr(current.thresholds, part)
            if value is None or not steps.get(part):
                continue
            raised = round(value + steps[part], 6)
            if raised > limits.get(part, float("inf")):
                continue
            evaluation = evaluate(stack, head, data, replace(current.thresholds,
                                                             **{part: raised}), costs)
            trace.append(evaluation)
            log(_line(f"try {part}", evaluation))
            if evaluation.accuracy >= floor and evaluation.cost < current.cost:
                moves.append(evaluation)
        if not moves:
            break
        current = min(moves, key=lambda evaluation: (evaluation.cost, -evaluation.accuracy))
        log(_line("take", current))
    return SearchResult(current, floor, trace)


def _line(what: str, evaluation: Evaluation) -> str:
    t = evaluation.thresholds
    return (f"{what}: input {t.input} hidden {t.hidden} projection {t.projection}: accuracy "
            f"{evaluation.accuracy:.4f}, fired {evaluation.fired}, {evaluation.cost} modeled "
            "cycles/frame")
