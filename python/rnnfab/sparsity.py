"""Keep-masks at a target density, recomputed from the current weights as a pruning schedule goes
(docs/pruning.md, "Pruning schedules"):

- ``bcr``: rnnfab's BCR structure. Every full R x C block keeps the same ``kc`` columns (largest
  L2 norm in the block) and then the same ``kr`` rows (largest norm over the kept columns), with
  ``kc`` near ``C * density^col_share`` and ``kc * kr`` as close to ``density * R * C`` as
  whole numbers allow (``bcr_counts``); edge blocks keep the same fractions of their width and height. The density is therefore a
  function of the shape and the rates only (``bcr_density``), the same at every recomputation.
  With ``pes > 1`` the rows are chosen load-balance aware (as ESE): rows are interleaved over the
  PEs (row i to PE i mod pes) and each block takes its next row from the least-loaded PE that has
  a candidate row, the row of largest norm among those; the imbalance stays below one block row.
- ``unstructured``: the ``round(density * size)`` weights of largest magnitude (ties: lower index).

Masks are boolean tensors (True = kept)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .bcr import bcr_mask


def bcr_counts(block: tuple[int, int], density: float, col_share: float) -> tuple[int, int]:
    """(kept columns, kept rows) of a full block at ``density``: the pair whose product comes
    closest to ``density * R * C``, among kept-column counts within a factor of 2 of
    ``C * density^col_share`` (ties: the count closest to it, then fewer columns)."""
    rows, cols = block
    if density >= 1:
        return cols, rows
    ideal = cols * density ** col_share
    target = density * rows * cols
    best = None
    for kept_cols in range(1, cols + 1):
        if not (ideal / 2 <= kept_cols <= ideal * 2) and kept_cols != max(1, round(ideal)):
            continue
        kept_rows = min(rows, max(1, math.floor(target / kept_cols + 0.5)))
        key = (abs(kept_cols * kept_rows - target), abs(kept_cols - ideal), kept_cols)
        if best is None or key < best[0]:
            best = (key, kept_cols, kept_rows)
    return best[1], best[2]


def _rates(shape, block, density, col_share):
    br, bc = min(block[0], shape[0]), min(block[1], shape[1])
    kept_cols, kept_rows = bcr_counts((br, bc), density, col_share)
    return (br, bc), kept_cols / bc, kept_rows / br


def bcr_density(shape: tuple[int, int], block: tuple[int, int], density: float,
                col_share: float) -> float:
    """The density ``target_mask`` gives a ``shape`` matrix in the BCR structure."""
    if density >= 1:
        return 1.0
    mask = bcr_mask(torch.ones(shape, dtype=torch.float64), *_rates(shape, block, density, col_share))
    return float(mask.sum()) / mask.numel()


def _balanced_rows(weight: torch.Tensor, col_mask: torch.Tensor, block: tuple[int, int],
                   row_keep: float, pes: int) -> torch.Tensor:
    """Row stage with load balancing over ``pes`` interleaved PEs (see the module docstring)."""
    rows, cols = weight.shape
    br, bc = block
    squares = (weight.detach().to(torch.float64) ** 2 * col_mask).numpy()
    kept = col_mask.numpy()
    mask = np.zeros((rows, cols), dtype=bool)
    loads = np.zeros(pes)
    for r0 in range(0, rows, br):
        height = min(br, rows - r0)
        keep = math.floor(row_keep * height + 0.5)
        for c0 in range(0, cols, bc):
            block_cols = kept[r0, c0:c0 + bc]
            width = int(block_cols.sum())
            if width == 0 or keep == 0:
                continue
            scores = squares[r0:r0 + height, c0:c0 + bc].sum(1)
            free = np.ones(height, dtype=bool)
            for _ in range(keep):
                pe_of = (r0 + np.arange(height)) % pes
                least = loads[pe_of[free]].min()
                candidates = np.flatnonzero(free & (loads[pe_of] == least))
                row = candidates[np.argmax(scores[candidates])]  # first of the largest
                free[row] = False
                loads[pe_of[row]] += width
                mask[r0 + row, c0:c0 + bc] = block_cols
    return torch.from_numpy(mask)


def target_mask(weight: torch.Tensor, density: float, structure: str = "bcr",
                block: tuple[int, int] = (4, 4), col_share: float = 0.5,
                pes: int = 1) -> torch.Tensor:
    """The keep-mask of ``weight`` at ``density`` in ``structure`` (``bcr`` or ``unstructured``)."""
    if density >= 1:
        return torch.ones(weight.shape, dtype=torch.bool)
    if structure == "unstructured":
        count = max(1, math.floor(density * weight.numel() + 0.5))
        order = torch.argsort(-weight.detach().abs().reshape(-1), stable=True)
        mask = torch.zeros(weight.numel(), dtype=torch.bool)
        mask[order[:count]] = True
        return mask.reshape(weight.shape)
    if structure != "bcr":
        raise ValueError(f"structure: expected bcr or unstructured, got {structure}")
    clipped, col_keep, row_keep = _rates(tuple(weight.shape), block, density, col_share)
    if pes <= 1:
        return bcr_mask(weight, clipped, col_keep, row_keep)
    col_mask = bcr_mask(weight, clipped, col_keep, 1.0)
    return _balanced_rows(weight, col_mask, clipped, row_keep, pes)


def is_bcr(mask: torch.Tensor, block: tuple[int, int]) -> bool:
    """Whether every block's kept set is a product of kept rows and kept columns."""
    rows, cols = mask.shape
    br, bc = min(block[0], rows), min(block[1], cols)
    for r0 in range(0, rows, br):
        for c0 in range(0, cols, bc):
            part = mask[r0:r0 + br, c0:c0 + bc]
            product = part.any(1, keepdim=True) & part.any(0, keepdim=True)
            if not bool((product == part).all()):
                return False
    return True


def pe_loads(masks: dict[str, torch.Tensor], pes: int) -> list[int]:
    """Kept weights per PE over all masks (row i to PE i mod pes)."""
    loads = [0] * pes
    for mask in masks.values():
        per_row = mask.sum(1).tolist()
        for row, count in enumerate(per_row):
            loads[row % pes] += int(count)
    return loads
