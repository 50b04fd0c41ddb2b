"""Train a small LSTM on the spoken-word set of scripts/make_speech.py, densely and then with delta
thresholds in the forward pass (docs/delta.md): ``deno task train:speech`` runs
``python scripts/train_speech.py [--data DIR] [--out DIR]``.

- ``speech_lstm``: LSTM, 40 log-mel inputs, 64 cells, 2 layers, a linear head on the last step's
  output, trained densely (cross-entropy, Adam, cosine schedule; seeded, one thread) through
  ``torch.nn.LSTM``, whose time loop runs in C++ (``rnnfab.speech.train_lstm``).
- ``speech_lstm_delta<theta>``: the dense model fine-tuned with theta_x = theta_h = theta in the
  forward pass (straight-through gradient, rnnfab.delta), for each theta of ``--delta-thetas``.

Models and heads go to ``DIR/models`` (default ``.cache/speech/models``), never committed; test
accuracies are printed (measured, float32 PyTorch). ``scripts/delta_sweep.ts`` then measures the
fired fraction and accuracy with rnnfab's fixed-point delta golden model.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

from rnnfab.data import load_data, load_head, save_head  # noqa: E402
from rnnfab.delta import DeltaTrainConfig, delta_accuracy, train_delta  # noqa: E402
from rnnfab.model_io import load_model, save_model  # noqa: E402
from rnnfab.modules import RnnStack  # noqa: E402
from rnnfab.speech import train_lstm  # noqa: E402


def main() -> None:
    """Train the dense model and its delta fine-tunes; write them; print test accuracies."""
    parser = argparse.ArgumentParser(prog="python scripts/train_speech.py",
                                     description="Train a small LSTM on the speech set.")
    parser.add_argument("--data", default=os.path.join(ROOT, ".cache", "speech"))
    parser.add_argument("--out", default=None, help="default: DATA/models")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--proj", type=int, default=0,
                        help="projection size (LSTMP; 0: none); the ESE shape is --features 153 "
                        "--hidden 1024 --proj 512 --layers 1 (without peepholes)")
    parser.add_argument("--features", type=int, choices=(40, 153), default=40,
                        help="speech40 (40 log-mel bands) or speech153 (51 bands + differences)")
    parser.add_argument("--name", default=None, help="model name (default speech_lstm, "
                        "speech_lstmp<H>x<P> with --proj)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=8e-3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--delta-epochs", type=int, default=8)
    parser.add_argument("--reuse-dense", action="store_true",
                        help="start from OUT/speech_lstm.json when it exists (no dense training)")
    parser.add_argument("--delta-thetas", default="0.1,0.3",
                        help="comma-separated thresholds for the delta fine-tunes ('' for none)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out = args.out or os.path.join(args.data, "models")
    os.makedirs(out, exist_ok=True)
    train = load_data(os.path.join(args.data, f"speech{args.features}_train.safetensors"))
    test = load_data(os.path.join(args.data, f"speech{args.features}_test.safetensors"))
    classes = int(max(train.labels)) + 1
    base = args.name or (f"speech_lstmp{args.hidden}x{args.proj}" if args.proj else "speech_lstm")
    stack = RnnStack("lstm", train.sequences[0].shape[1], args.hidden, args.layers,
                     proj_size=args.proj, seed=19).to(torch.float32)
    torch.manual_seed(19)
    head = torch.nn.Linear(stack.output_size, classes)

    def report(name, stack, head, theta):
        accuracy, fractions = delta_accuracy(stack, head, test, theta, theta)
        print(f"{name}: test accuracy {accuracy * 100:.2f}% at theta {theta} (measured, float32 "
              f"PyTorch), fired {', '.join(f'{f * 100:.1f}%' for f in fractions)} per layer",
              flush=True)

    dense_path = os.path.join(out, f"{base}.json")
    if args.reuse_dense and os.path.exists(dense_path):
        stack = RnnStack.from_rnnfab(load_model(dense_path), torch.float32)
        head = load_head(os.path.join(out, f"{base}.head.json")).to(torch.float32)
    else:
        train_lstm(stack, head, train, epochs=args.epochs, lr=args.lr, batch_size=args.batch,
                   seed=19, log=lambda line: print(f"{base} {line}", flush=True))
        save_model(stack.to_rnnfab(), dense_path, safetensors=True)
        save_head(head, os.path.join(out, f"{base}.head.json"))
    report(base, stack, head, 0.0)
    for theta in [float(v) for v in args.delta_thetas.split(",") if v.strip()]:
        name = f"{base}_delta{theta:g}"
        tuned, tuned_head = copy.deepcopy(stack), copy.deepcopy(head)
        report(f"{name} before fine-tuning", tuned, tuned_head, theta)
        train_delta(tuned, tuned_head, train,
                    DeltaTrainConfig(theta_x=theta, theta_h=theta, epochs=args.delta_epochs,
                                     lr=1e-3, seed=20),
                    log=lambda line, name=name: print(f"{name} {line}", flush=True))
        report(name, tuned, tuned_head, theta)
        save_model(tuned.to_rnnfab(), os.path.join(out, f"{name}.json"), safetensors=True)
        save_head(tuned_head, os.path.join(out, f"{name}.head.json"))


if __name__ == "__main__":
    main()
