"""Projection of a weight matrix onto the BCR set (Block-based Column-Row sparsity, docs/pruning.md):
in every R x C block, keep the ``round(col_keep * width)`` columns of largest L2 norm, then among
the kept columns the ``round(row_keep * height)`` rows of largest norm. This is the Euclidean-style
projection ADMM needs at every step; the final hard pruning is rnnfab's own (prune/prune.ts), which
spreads the rounding over blocks to meet the density exactly."""

from __future__ import annotations

import math

import torch


def _top_k_mask(score: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Per row of ``score`` (last dimension), True for the ``keep`` largest entries (ties: lower
    index first)."""
    order = torch.argsort(-score, dim=-1, stable=True)
    ranks = torch.argsort(order, dim=-1, stable=True)
    return ranks < keep.unsqueeze(-1)


def bcr_mask(weight: torch.Tensor, block: tuple[int, int], col_keep: float,
             row_keep: float) -> torch.Tensor:
    """The boolean BCR keep-mask of ``weight`` for ``block`` (rows, cols; clipped to the matrix)."""
    rows, cols = weight.shape
    br, bc = min(block[0], rows), min(block[1], cols)
    nr, nc = math.ceil(rows / br), math.ceil(cols / bc)
    padded = weight.new_zeros(nr * br, nc * bc)
    padded[:rows, :cols] = weight.detach().abs()
    blocks = padded.view(nr, br, nc, bc).permute(0, 2, 1, 3) ** 2  # [nr, nc, br, bc]
    widths = torch.tensor([min(bc, cols - j * bc) for j in range(nc)], dtype=torch.float64)
    heights = torch.tensor([min(br, rows - i * br) for i in range(nr)], dtype=torch.float64)
    col_valid = torch.arange(bc).view(1, 1, bc) < widths.view(1, nc, 1)
    row_valid = torch.arange(br).view(1, 1, br) < heights.view(nr, 1, 1)
    col_score = torch.where(col_valid, blocks.sum(2), torch.tensor(-1.0, dtype=blocks.dtype))
    keep_cols = torch.floor(col_keep * widths + 0.5).long().view(1, nc).expand(nr, nc)
    col_mask = _top_k_mask(col_score, keep_cols) & col_valid
    row_score = (blocks * col_mask.unsqueeze(2).to(blocks.dtype)).sum(3)
    row_score = torch.where(row_valid, row_score, torch.tensor(-1.0, dtype=blocks.dtype))
    keep_rows = torch.floor(row_keep * heights + 0.5).long().view(nr, 1).expand(nr, nc)
    row_mask = _top_k_mask(row_score, keep_rows) & row_valid
    mask = row_mask.unsqueeze(3) & col_mask.unsqueeze(2)  # [nr, nc, br, bc]
    return mask.permute(0, 2, 1, 3).reshape(nr * br, nc * bc)[:rows, :cols]


def project_bcr(weight: torch.Tensor, block: tuple[int, int], col_keep: float,
                row_keep: float) -> torch.Tensor:
    """``weight`` with everything outside its BCR keep-mask set to zero."""
    return weight * bcr_mask(weight, block, col_keep, row_keep).to(weight.dtype)
