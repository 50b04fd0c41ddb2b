"""BCR zero masks: taken from a pruned model's exact zeros, applied to a module, and held through
training. ``hold_masks`` zeroes the gradients of pruned weights (so that no optimizer state builds
up for them) and re-applies the mask after every ``optimizer.step()`` (so that nothing, weight
decay included, moves a pruned weight off zero). The zero pattern therefore never changes, and the
exported model passes ``deno task prune --check-block`` with the block it was pruned for."""

from __future__ import annotations

import torch
from torch import nn


def bcr_masks(module: nn.Module, names: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Boolean keep-masks (True = non-zero) of the module's weight matrices, from their zeros.
    ``names`` defaults to ``module.matrix_names()``."""
    names = names if names is not None else module.matrix_names()
    return {name: getattr(module, name).detach() != 0 for name in names}


@torch.no_grad()
def apply_masks(module: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Set every masked-out weight to exactly zero."""
    for name, mask in masks.items():
        getattr(module, name).mul_(mask.to(getattr(module, name).dtype))


def masks_hold(module: nn.Module, masks: dict[str, torch.Tensor]) -> bool:
    """Whether the module's zero pattern is exactly the masks' (no kept weight is zero either
    would be fine for BCR, but the check is on pruned weights: all of them must be zero)."""
    return all(bool((getattr(module, name).detach()[~mask] == 0).all())
               for name, mask in masks.items())


class MaskHold:
    """Handle returned by ``hold_masks``; ``remove()`` detaches the hooks."""

    def __init__(self, handles):
        self._handles = handles

    def remove(self) -> None:
        """Stop holding the masks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def hold_masks(module: nn.Module, optimizer: torch.optim.Optimizer,
               masks: dict[str, torch.Tensor]) -> MaskHold:
    """Apply the masks now and keep them through training: gradient hooks zero the gradients of
    pruned weights, and an optimizer step post-hook re-applies the masks after every step."""
    apply_masks(module, masks)
    handles = []
    for name, mask in masks.items():
        parameter = getattr(module, name)
        keep = mask.to(parameter.dtype)
        handles.append(parameter.register_hook(lambda grad, keep=keep: grad * keep))
    handles.append(optimizer.register_step_post_hook(
        lambda _optimizer, _args, _kwargs: apply_masks(module, masks)))
    return MaskHold(handles)
