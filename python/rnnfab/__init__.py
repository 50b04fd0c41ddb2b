"""rnnfab's Python side: train, prune-aware fine-tune and export LSTM/GRU models for rnnfab.

- ``model_io``: read and write rnnfab model files (JSON, weights inline or in safetensors).
- ``modules``: ``RnnStack``, a PyTorch LSTM/GRU stack with rnnfab's exact float semantics
  (PyTorch gate order, peepholes, projection, padded variable-length batches).
- ``mask``: BCR zero masks, applied once and held through ``optimizer.step()``.
- ``bcr``: projection onto the BCR set (for ADMM).
- ``data``: rnnfab data files and linear heads.
- ``quant``: straight-through fake quantization in rnnfab's fixed-point formats (QAT).
- ``finetune``: masked fine-tuning and ADMM training loops.
- ``sparsity``: masks at a target density (BCR with PE-balanced rows, or unstructured).
- ``schedules``: the pruning schedules (fixed, gradual, gap, imp, admm) with checkpoints, behind
  ``deno task finetune``.
"""

from .model_io import load_model, save_model, RnnfabModel
from .modules import RnnStack
from .mask import bcr_masks, apply_masks, hold_masks, masks_hold, MaskHolder
from .data import load_data, save_data, load_head, save_head, Batch

__all__ = [
    "load_model",
    "save_model",
    "RnnfabModel",
    "RnnStack",
    "bcr_masks",
    "apply_masks",
    "hold_masks",
    "masks_hold",
    "MaskHolder",
    "load_data",
    "save_data",
    "load_head",
    "save_head",
    "Batch",
]
