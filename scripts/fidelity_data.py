"""The trained examples' data sets, made deterministically from data that packages ship (no
download): scikit-learn's digits (8x8 images as 8 steps of 8 pixel rows, scaled to [0, 1]; a
stratified 80/20 split with random_state 0) and the UCI Japanese Vowels set that sktime ships
(9 speakers, 12 LPC cepstrum coefficients per 5 ms frame, 7 to 29 frames; the archive's own
270/370 train/test split; features standardised with the training set's mean and deviation).

``python scripts/fidelity_data.py OUT_DIR`` writes digits_{train,test}.json and
vowels_{train,test}.json there."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from rnnfab.data import DataSet, save_data  # noqa: E402


def digits() -> tuple[DataSet, DataSet]:
    """Digits as sequences of rows: (train 1437, test 360), labels 0..9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    images = images.reshape(-1, 8, 8) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, random_state=0, stratify=labels)
    make = lambda x, y: DataSet([s for s in x], [int(v) for v in y])
    return make(x_train, y_train), make(x_test, y_test)


def _read_ts(path: str) -> tuple[list[np.ndarray], list[int]]:
    """Parse a sktime/UCR ``.ts`` file of multivariate, unequal-length series with class labels:
    after ``@data`` each line is ``dim0:dim1:...:label`` with comma-separated values per dim."""
    sequences, labels = [], []
    with open(path, encoding="utf-8") as handle:
        in_data = False
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.lower() == "@data":
                in_data = True
                continue
            if not in_data:
                continue
            *dims, label = line.split(":")
            columns = [np.array([float(v) for v in d.split(",")]) for d in dims]
            sequences.append(np.stack(columns, axis=1))  # [T, 12]
            labels.append(int(label) - 1)
    return sequences, labels


def vowels() -> tuple[DataSet, DataSet]:
    """Japanese Vowels from sktime's bundled copy: (train 270, test 370), labels 0..8."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("sktime is not installed (deno task setup installs it)")
    folder = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "JapaneseVowels")
    train_x, train_y = _read_ts(os.path.join(folder, "JapaneseVowels_TRAIN.ts"))
    test_x, test_y = _read_ts(os.path.join(folder, "JapaneseVowels_TEST.ts"))
    stacked = np.concatenate(train_x)
    mean, deviation = stacked.mean(axis=0), stacked.std(axis=0)
    norm = lambda xs: [(x - mean) / deviation for x in xs]
    return DataSet(norm(train_x), train_y), DataSet(norm(test_x), test_y)


def write_all(folder: str) -> None:
    """Write the four data files (values rounded to 6 decimals)."""
    for name, (train, test) in (("digits", digits()), ("vowels", vowels())):
        save_data(train, os.path.join(folder, f"{name}_train.json"), digits=6)
        save_data(test, os.path.join(folder, f"{name}_test.json"), digits=6)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: python scripts/fidelity_data.py OUT_DIR")
        sys.exit(0 if len(sys.argv) == 2 else 2)
    write_all(sys.argv[1])
