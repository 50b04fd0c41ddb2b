"""Straight-through fake quantization in rnnfab's fixed-point formats (docs/fixed-point.md), for
quantization-aware fine-tuning: weights (and peepholes) to Q(WB.WF) with WF chosen as rnnfab
chooses it (the largest fraction width for which the model's largest |w| does not saturate), and
inputs to Q(AB.AF). Rounding is half up, ``floor(x * 2^f + 0.5)``, saturated to the width. The
forward pass sees the quantized values; gradients pass straight through."""

from __future__ import annotations

import math

import torch


def quantize_value(value: float, bits: int, frac: int) -> int:
    """rnnfab's quantizer for one number: sat_bits(floor(x * 2^frac + 0.5))."""
    raw = math.floor(value * 2 ** frac + 0.5)
    return max(-(2 ** (bits - 1)), min(2 ** (bits - 1) - 1, raw))


def choose_weight_frac(largest: float, bits: int) -> int:
    """The largest fraction width <= bits - 1 at which +-largest does not saturate."""
    for frac in range(bits - 1, 0, -1):
        top = math.floor(largest * 2 ** frac + 0.5)
        bottom = math.floor(-largest * 2 ** frac + 0.5)
        if top <= 2 ** (bits - 1) - 1 and bottom >= -(2 ** (bits - 1)):
            return frac
    return 0


def fake_quantize(x: torch.Tensor, bits: int, frac: int) -> torch.Tensor:
    """x rounded to Q(bits.frac) in the forward pass, identity in the backward pass."""
    scale = 2.0 ** frac
    q = torch.clamp(torch.floor(x * scale + 0.5), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1) / scale
    return x + (q - x).detach()


class FixedPointQat:
    """Installs fake quantization on an ``RnnStack``: ``weight_transform`` for its weight
    matrices and peepholes, ``input_transform`` for its inputs. Call ``refresh()`` before each
    forward pass so that the weight fraction width follows the weights as they train."""

    def __init__(self, module, weight_bits: int = 12, activation_bits: int = 16,
                 activation_frac: int = 12):
        self.module = module
        self.weight_bits = weight_bits
        self.activation_bits = activation_bits
        self.activation_frac = activation_frac
        self.weight_frac = 0
        self.refresh()
        module.weight_transform = lambda name, w: fake_quantize(w, weight_bits, self.weight_frac)
        module.input_transform = lambda x: fake_quantize(x, activation_bits, activation_frac)

    @torch.no_grad()
    def refresh(self) -> int:
        """Re-choose the weight fraction width from the current largest |w|; returns it."""
        largest = 0.0
        for name, parameter in self.module.named_parameters():
            if name.startswith("weight_") or name.startswith("peephole_"):
                largest = max(largest, float(parameter.abs().max()))
        self.weight_frac = choose_weight_frac(largest, self.weight_bits)
        return self.weight_frac

    def remove(self) -> None:
        """Back to float."""
        self.module.weight_transform = None
        self.module.input_transform = None
