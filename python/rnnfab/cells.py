"""One time step of rnnfab's LSTM and GRU cells in PyTorch (the arithmetic of docs/fixed-point.md's
float reference, model/float.ts), shared by the recurrent layers that drive their own loop."""

from __future__ import annotations

from typing import Optional, Tuple

import torch


def cell_step(kind: str, gx: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
              peephole: Optional[torch.Tensor] = None,
              w_hr: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """The new (h, c) of one step from the input and recurrent gate pre-activations ``gx`` and
    ``gh`` (``4H`` columns i, f, g, o for an LSTM; ``3H`` r, z, n for a GRU, whose ``c`` passes
    through unchanged). An LSTM adds the peepholes (``3H``: i, f, o) and projects with ``w_hr``
    when given."""
    if kind == "lstm":
        zi, zf, zg, zo = (gx + gh).chunk(4, dim=1)
        if peephole is not None:
            p_i, p_f, p_o = peephole.chunk(3)
            zi = zi + p_i * c
            zf = zf + p_f * c
        c_new = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        if peephole is not None:
            zo = zo + p_o * c_new
        m = torch.sigmoid(zo) * torch.tanh(c_new)
        return (torch.matmul(m, w_hr.t()) if w_hr is not None else m), c_new
    xr, xz, xn = gx.chunk(3, dim=1)
    hr, hz, hn = gh.chunk(3, dim=1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h, c
