"""The training loop that rnnfab's classifiers share (scripts/train_examples.py,
scripts/train_speech.py, rnnfab.delta): Adam with a cosine learning-rate schedule over seeded
random batch orders, cross-entropy from the caller, gradients clipped to norm 5."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import torch

from .data import Batch, DataSet, batches


def train_epochs(parameters: Sequence[torch.nn.Parameter], data: DataSet, *, epochs: int,
                 lr: float, batch_size: int, seed: int,
                 batch_loss: Callable[[Batch], torch.Tensor],
                 on_epoch: Callable[[int, float], None],
                 dtype: torch.dtype = torch.float32,
                 on_optimizer: Optional[Callable[[torch.optim.Optimizer], object]] = None
                 ) -> None:
    """Train ``parameters`` for ``epochs`` epochs: each epoch visits ``data`` in a random order
    (numpy generator seeded with ``seed``) in batches of ``batch_size`` (padded, ``dtype``), takes
    ``batch_loss(batch)`` (a mean over the batch's sequences), steps Adam (``lr``, cosine schedule
    over the epochs) with the gradient norm clipped to 5, then calls ``on_epoch(epoch, mean
    training loss)``. ``on_optimizer(optimizer)`` is called once before training (e.g. to hold
    BCR masks with rnnfab.mask.hold_masks)."""
    parameters = list(parameters)
    optimizer = torch.optim.Adam(parameters, lr=lr)
    if on_optimizer is not None:
        on_optimizer(optimizer)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    generator = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch in batches(data, batch_size, generator.permutation(len(data)), dtype):
            loss = batch_loss(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 5.0)
            optimizer.step()
            total += loss.item() * len(batch.labels)
        schedule.step()
        on_epoch(epoch, total / len(data))
