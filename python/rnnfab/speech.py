"""Training on the spoken-word set of scripts/make_speech.py (docs/delta.md): the pieces that
scripts/train_speech.py and the cached model pipeline (``rnnfab.speech_models``) share.

- ``train_lstm``: dense or masked training of an LSTM / LSTMP ``RnnStack`` through
  ``torch.nn.LSTM`` (its time loop runs in C++), on the word label of each sequence's last ``TAIL``
  steps; with ``masks`` the BCR zero mask is held (rnnfab.mask) and the head can stay fixed.
- ``train_delta_masked``: the same loss through the delta forward pass (rnnfab.delta, thresholds in
  the forward pass, straight-through gradient), the BCR mask held, the head fixed.
- ``float_accuracy``: test accuracy of the last step's output (float32 PyTorch), dense or with
  thresholds, and the fired fraction per layer.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from .data import Batch, DataSet
from .delta import delta_accuracy, delta_forward
from .mask import hold_masks
from .modules import RnnStack
from .train import train_epochs

TAIL = 10  # training steps per sequence that carry the label (the last 100 ms)


def tail_loss(outputs: torch.Tensor, batch: Batch, head: torch.nn.Linear) -> torch.Tensor:
    """Cross-entropy of ``head`` against the word label on each of a sequence's last ``TAIL``
    steps (the last one is what rnnfab's head reads): a denser training signal than the last step
    alone, same model."""
    steps = torch.arange(outputs.shape[1]).unsqueeze(0)
    lengths = batch.lengths.unsqueeze(1)
    tail = (steps < lengths) & (steps >= lengths - TAIL)
    labels = batch.labels.unsqueeze(1).expand(-1, outputs.shape[1])[tail]
    return F.cross_entropy(head(outputs[tail].to(head.weight.dtype)), labels)


def _freeze(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return []


def train_lstm(stack: RnnStack, head: torch.nn.Linear, data: DataSet, *, epochs: int, lr: float,
               batch_size: int, seed: int = 19, masks: Optional[dict] = None,
               train_head: bool = True, forget_bias: bool = True,
               log: Callable[[str], None] = print) -> None:
    """Train ``stack`` (an LSTM ``RnnStack`` without peepholes) through ``torch.nn.LSTM`` (packed
    sequences, the same arithmetic as ``RnnStack``; python/tests compare them); the trained
    weights are copied back into ``stack``. ``forget_bias``: start the forget-gate biases at 1
    (0.5 + 0.5), a common aid to memory, for training from scratch. ``masks`` (name -> keep mask,
    rnnfab.mask.bcr_masks) are held through training."""
    lstm = torch.nn.LSTM(stack.input_size, stack.hidden_size, stack.num_layers, batch_first=True,
                         proj_size=stack.proj_size)
    lstm.load_state_dict({k: v.to(torch.float32) for k, v in stack.state_dict().items()})
    hidden = stack.hidden_size
    if forget_bias:
        with torch.no_grad():
            for layer in range(stack.num_layers):
                for bias in (f"bias_ih_l{layer}", f"bias_hh_l{layer}"):
                    getattr(lstm, bias)[hidden:2 * hidden] = 0.5

    def batch_loss(batch: Batch) -> torch.Tensor:
        packed = torch.nn.utils.rnn.pack_padded_sequence(batch.x, batch.lengths, batch_first=True,
                                                         enforce_sorted=False)
        outputs, _ = lstm(packed)
        outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
        return tail_loss(outputs, batch, head)

    parameters = list(lstm.parameters())
    parameters += list(head.parameters()) if train_head else _freeze(head)
    train_epochs(parameters, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                 batch_loss=batch_loss,
                 on_optimizer=(lambda optimizer: hold_masks(lstm, optimizer, masks))
                 if masks else None,
                 on_epoch=lambda epoch, loss: log(f"epoch {epoch}: train loss {loss:.4f}"))
    with torch.no_grad():
        for tensor, value in lstm.state_dict().items():
            getattr(stack, tensor).copy_(value)


def input_thresholds(stack: RnnStack, theta: float, theta_input: Optional[float]):
    """theta_x per layer: ``theta``, with layer 0's (the input features) ``theta_input`` when
    given."""
    if theta_input is None:
        return theta
    return [theta_input] + [theta] * (stack.num_layers - 1)


def train_delta_masked(stack: RnnStack, head: torch.nn.Linear, data: DataSet, *, theta: float,
                       epochs: int, lr: float, batch_size: int, seed: int = 20,
                       masks: Optional[dict] = None, theta_input: Optional[float] = None,
                       theta_m: Optional[float] = None,
                       log: Callable[[str], None] = print) -> None:
    """Fine-tune ``stack`` with theta_x = theta_h = ``theta`` in the forward pass (every layer;
    layer 0's theta_x ``theta_input`` when given; the projection input m delta-coded with
    ``theta_m`` when given, an LSTMP only; straight-through gradient, rnnfab.delta), the
    ``tail_loss`` of the fixed ``head``, the BCR ``masks`` held."""
    torch.manual_seed(seed)
    _freeze(head)
    theta_x = input_thresholds(stack, theta, theta_input)

    def batch_loss(batch: Batch) -> torch.Tensor:
        run = delta_forward(stack, batch.x, theta_x, theta, batch.lengths, theta_m)
        return tail_loss(run.outputs, batch, head)

    train_epochs(list(stack.parameters()), data, epochs=epochs, lr=lr, batch_size=batch_size,
                 seed=seed, batch_loss=batch_loss,
                 on_optimizer=(lambda optimizer: hold_masks(stack, optimizer, masks))
                 if masks else None,
                 on_epoch=lambda epoch, loss: log(f"epoch {epoch}: train loss {loss:.4f}"))


def float_accuracy(stack: RnnStack, head: torch.nn.Linear, data: DataSet,
                   theta: float = 0.0,
                   theta_input: Optional[float] = None,
                   theta_m: Optional[float] = None) -> tuple[float, list[float]]:
    """Accuracy on the last step and fired fraction per layer with theta_x = theta_h = ``theta``
    (layer 0's theta_x ``theta_input`` when given, the projection input's ``theta_m`` when given;
    float32 PyTorch, measured)."""
    return delta_accuracy(stack, head.to(torch.float32), data,
                          input_thresholds(stack, theta, theta_input), theta, theta_m)
