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


class MaskHolder:
    """Masks held through training, the one mask holder of the package (``hold_masks``, the
    pruning schedules): gradient hooks zero the gradients of pruned weights, and after
    ``attach(optimizer)`` the masks are re-applied after every ``optimizer.step()``. The masks may
    change while training (assign ``masks[name]``, as the gradual schedules do); a matrix with no
    entry in ``masks`` is dense. ``names`` (default ``module.matrix_names()``) are the matrices
    hooked."""

    def __init__(self, module: nn.Module, masks: dict[str, torch.Tensor] | None = None,
                 names: list[str] | None = None):
        self.module = module
        self.masks: dict[str, torch.Tensor] = masks if masks is not None else {}
        self._handles = []
        for name in names if names is not None else module.matrix_names():
            self._handles.append(getattr(module, name).register_hook(
                lambda grad, name=name: grad * self.masks[name].to(grad.dtype)
                if name in self.masks else grad))

    def apply(self) -> None:
        """Set every masked-out weight to zero."""
        apply_masks(self.module, self.masks)

    def attach(self, optimizer: torch.optim.Optimizer) -> None:
        """Re-apply the masks after every step of ``optimizer``."""
        self._handles.append(optimizer.register_step_post_hook(lambda *_: self.apply()))

    def remove(self) -> None:
        """Stop holding the masks: detach every hook."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def hold_masks(module: nn.Module, optimizer: torch.optim.Optimizer,
               masks: dict[str, torch.Tensor]) -> MaskHolder:
    """Apply the masks now and keep them through training with ``optimizer`` (a ``MaskHolder`` on
    the masks' matrices); ``remove()`` on the result stops holding them."""
    holder = MaskHolder(module, masks, names=list(masks))
    holder.apply()
    holder.attach(optimizer)
    return holder
