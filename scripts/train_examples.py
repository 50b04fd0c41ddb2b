"""Train the examples with real data, deterministically (seeded, one thread): ``deno task
train:examples`` runs ``python scripts/train_examples.py``.

- digits_lstm: LSTM, 8 inputs (a row of 8 pixels per step, 8 steps), 64 cells, 1 layer.
- digits_gru: GRU, 8 inputs, 64 cells, 2 layers.
- vowels_lstm: LSTM, 12 inputs (LPC cepstrum per frame, 7..29 frames), 256 cells, 1 layer.

Each gets a linear head on the last step's output (trained jointly, cross-entropy) and is written
to examples/ (model, ``.head.json``; the 256-cell model's weights in a float32 ``.safetensors``),
with the test sets (``digits_test.json``, ``vowels_test.json``). The data sets are those of
scripts/fidelity_data.py; test accuracy is printed (measured, float32 PyTorch)."""

from __future__ import annotations

import os
import sys
import tempfile

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fidelity_data import write_all  # noqa: E402
from rnnfab.data import batches, load_data, save_data, save_head  # noqa: E402
from rnnfab.modules import RnnStack, last_outputs  # noqa: E402
from rnnfab.train import train_epochs  # noqa: E402

EXAMPLES = [
    {"name": "digits_lstm", "data": "digits", "kind": "lstm", "hidden": 64, "layers": 1,
     "epochs": 40, "lr": 5e-3, "seed": 11, "safetensors": True},
    {"name": "digits_gru", "data": "digits", "kind": "gru", "hidden": 64, "layers": 2,
     "epochs": 40, "lr": 5e-3, "seed": 12, "safetensors": True},
    {"name": "vowels_lstm", "data": "vowels", "kind": "lstm", "hidden": 256, "layers": 1,
     "epochs": 60, "lr": 2e-3, "seed": 13, "safetensors": True},
]


@torch.no_grad()
def accuracy(model, head, data) -> float:
    """Test accuracy on the last step (float32 PyTorch)."""
    correct = 0
    for batch in batches(data, 512):
        logits = head(last_outputs(model(batch.x, batch.lengths), batch.lengths))
        correct += int((logits.argmax(-1) == batch.labels).sum())
    return correct / len(data)


def train(example: dict, train_data, test_data, out_dir: str) -> None:
    """Train one model and its head; write them to ``out_dir``."""
    torch.manual_seed(example["seed"])
    inputs = train_data.sequences[0].shape[1]
    classes = int(max(train_data.labels)) + 1
    model = RnnStack(example["kind"], inputs, example["hidden"], example["layers"],
                     seed=example["seed"]).to(torch.float32)
    head = torch.nn.Linear(model.output_size, classes)

    def batch_loss(batch) -> torch.Tensor:
        logits = head(last_outputs(model(batch.x, batch.lengths), batch.lengths))
        return F.cross_entropy(logits, batch.labels)

    def report(epoch: int, loss: float) -> None:
        if epoch % 10 == 0 or epoch == example["epochs"]:
            print(f"{example['name']} epoch {epoch}: train loss {loss:.4f}, "
                  f"test accuracy {accuracy(model, head, test_data) * 100:.2f}% (measured)",
                  flush=True)

    train_epochs(list(model.parameters()) + list(head.parameters()), train_data,
                 epochs=example["epochs"], lr=example["lr"], batch_size=32, seed=example["seed"],
                 batch_loss=batch_loss, on_epoch=report)
    from rnnfab.model_io import save_model

    save_model(model.to_rnnfab(), os.path.join(out_dir, f"{example['name']}.json"),
               safetensors=example.get("safetensors", False))
    save_head(head, os.path.join(out_dir, f"{example['name']}.head.json"))


def main() -> None:
    """Make the data, train every example, write examples/."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "examples")
    only = set(sys.argv[2:])
    with tempfile.TemporaryDirectory() as folder:
        write_all(folder)
        data = {name: (load_data(os.path.join(folder, f"{name}_train.json")),
                       load_data(os.path.join(folder, f"{name}_test.json")))
                for name in ("digits", "vowels")}
    for name, (_train, test) in data.items():
        save_data(test, os.path.join(out_dir, f"{name}_test.json"), digits=6)
    for example in EXAMPLES:
        if not only or example["name"] in only:
            train(example, *data[example["data"]], out_dir)


if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print("usage: python scripts/train_examples.py [OUT_DIR [NAME ...]] (default examples/)")
        sys.exit(0)
    main()
