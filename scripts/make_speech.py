"""A small spoken-word data set that rnnfab makes itself (docs/delta.md, "The speech set").

``deno task data:speech`` runs ``python scripts/make_speech.py [--out DIR] [--per-word N]
[--val-per-word V]``.

Ten command words are spoken by espeak-ng (Debian package ``espeak-ng``) in eight English accents,
twelve voice variants, random speeds and pitches; each utterance gets random silence before and
after, a random gain and white noise at a random signal-to-noise ratio, all drawn from one seeded
generator (espeak-ng's own silence around the word is cut first). The audio becomes feature frames every 10 ms (25 ms Hamming windows, 1024-point FFT,
triangular mel bands from 20 Hz to 8 kHz, natural log of the band energies):

- ``speech40_{train,test}.safetensors``: 40 log-mel bands per frame (small models);
- ``speech153_{train,test}.safetensors``: 51 log-mel bands with their first and second
  differences (regression over +-2 frames), 153 per frame (the ESE-shaped model).

- ``speech{40,153}_val.safetensors``: a validation set for choosing hyperparameters (the delta
  thresholds of ``rnnfab.delta_search``) without looking at the test set: V utterances a word of
  the test set's voice variants, drawn from a generator of their own (seed + 1), so that the
  train and test files are the same bytes with or without it.

Every feature is standardized with the mean and standard deviation of the training frames. The
split is by voice variant: the variants in ``TEST_VARIANTS`` are heard only in the test and
validation sets (never in training). The
files are rnnfab data files (safetensors: ``sequences`` [N, T, I] float32 padded with zeros,
``lengths`` [N], ``labels`` [N], one word id per sequence), read by ``infer``, ``finetune`` and
python/rnnfab. ``manifest.json`` records every utterance's parameters, the normalization, the
espeak-ng version and the SHA-256 of every file. The same espeak-ng version and seed give the same
bytes. Nothing here is committed: the default output folder is ``.cache/speech``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GENERATOR = "rnnfab scripts/make_speech.py"

WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
ACCENTS = ["en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
           "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"]
TEST_VARIANTS = {"m3", "m6", "f4"}

FRAME_HZ = 100          # one frame every 10 ms
WINDOW_S = 0.025        # 25 ms analysis window
FFT_SIZE = 1024
MEL_LOW_HZ, MEL_HIGH_HZ = 20.0, 8000.0
LOG_FLOOR = 1e-10
TRIM_LEVEL = 1e-3       # |sample| above which espeak-ng's output counts as speech


def espeak_version() -> str:
    """The first line of ``espeak-ng --version`` (recorded in the manifest)."""
    result = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[0]


def speak(word: str, voice: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    """Synthesize one word with espeak-ng; returns float samples in [-1, 1) and the sample rate."""
    result = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        capture_output=True, check=True)
    with wave.open(io.BytesIO(result.stdout)) as reader:
        rate = reader.getframerate()
        if reader.getsampwidth() != 2 or reader.getnchannels() != 1:
            raise RuntimeError("espeak-ng: expected 16-bit mono audio")
        # espeak-ng streams to stdout with an unknown length in the header; read what is there.
        frames = reader.readframes(reader.getnframes() or 1 << 30)
    return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0, rate


def utterance_plan(per_word: int, seed: int, variants: list[str] = VARIANTS) -> list[dict]:
    """The parameters of every utterance, drawn from one seeded generator (word-major order),
    voices from ``variants``."""
    rng = np.random.default_rng(seed)
    plan = []
    for label, word in enumerate(WORDS):
        for _ in range(per_word):
            plan.append({
                "word": word,
                "label": label,
                "accent": ACCENTS[int(rng.integers(len(ACCENTS)))],
                "variant": variants[int(rng.integers(len(variants)))],
                "speed": int(rng.integers(110, 221)),       # words per minute
                "pitch": int(rng.integers(20, 81)),         # espeak-ng 0..99
                "gain": float(np.round(rng.uniform(0.3, 1.0), 4)),
                "silence_before_s": float(np.round(rng.uniform(0.05, 0.3), 3)),
                "silence_after_s": float(np.round(rng.uniform(0.05, 0.3), 3)),
                "snr_db": float(np.round(rng.uniform(5.0, 30.0), 2)),
                "noise_seed": int(rng.integers(2**31)),
            })
    return plan


def trim(speech: np.ndarray) -> np.ndarray:
    """The spoken part: espeak-ng's own leading and trailing silence (about 0.4 s after every word)
    cut at the first and last sample above TRIM_LEVEL, so that only the drawn silences remain."""
    loud = np.nonzero(np.abs(speech) > TRIM_LEVEL)[0]
    return speech[loud[0]:loud[-1] + 1] if loud.size else speech


def render(entry: dict) -> tuple[np.ndarray, int]:
    """The noisy waveform of one utterance."""
    voice = f"{entry['accent']}+{entry['variant']}"
    speech, rate = speak(entry["word"], voice, entry["speed"], entry["pitch"])
    speech = trim(speech) * entry["gain"]
    before = np.zeros(int(round(entry["silence_before_s"] * rate)))
    after = np.zeros(int(round(entry["silence_after_s"] * rate)))
    signal = np.concatenate([before, speech, after])
    power = float(np.mean(speech ** 2)) if speech.size else 0.0
    noise_power = power / 10 ** (entry["snr_db"] / 10) if power > 0 else 1e-8
    noise = np.random.default_rng(entry["noise_seed"]).standard_normal(signal.size)
    return signal + noise * np.sqrt(noise_power), rate


def mel_filters(bands: int, rate: int) -> np.ndarray:
    """Triangular mel filters (HTK mel scale), [bands, FFT_SIZE // 2 + 1]."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(MEL_LOW_HZ), mel(min(MEL_HIGH_HZ, rate / 2)), bands + 2))
    freqs = np.arange(FFT_SIZE // 2 + 1) * rate / FFT_SIZE
    filters = np.zeros((bands, freqs.size))
    for b in range(bands):
        low, mid, high = edges[b], edges[b + 1], edges[b + 2]
        rising = (freqs - low) / (mid - low)
        falling = (high - freqs) / (high - mid)
        filters[b] = np.maximum(0.0, np.minimum(rising, falling))
    return filters


def log_mel(signal: np.ndarray, rate: int, filters: np.ndarray) -> np.ndarray:
    """Log mel band energies, one frame every 10 ms: [frames, bands]."""
    window = int(round(WINDOW_S * rate))
    starts = []
    i = 0
    while (start := (i * rate) // FRAME_HZ) + window <= signal.size:
        starts.append(start)
        i += 1
    frames = np.stack([signal[s:s + window] for s in starts]) * np.hamming(window)
    power = np.abs(np.fft.rfft(frames, FFT_SIZE, axis=1)) ** 2
    return np.log(power @ filters.T + LOG_FLOOR)


def differences(features: np.ndarray, reach: int = 2) -> np.ndarray:
    """Regression differences over +-reach frames (edges repeated), as HTK's deltas."""
    padded = np.pad(features, ((reach, reach), (0, 0)), mode="edge")
    total = np.zeros_like(features)
    for n in range(1, reach + 1):
        total += n * (padded[reach + n:reach + n + len(features)]
                      - padded[reach - n:reach - n + len(features)])
    return total / (2 * sum(n * n for n in range(1, reach + 1)))


def with_differences(features: np.ndarray) -> np.ndarray:
    """Bands, first differences, second differences side by side."""
    first = differences(features)
    return np.concatenate([features, first, differences(first)], axis=1)


def write_data(path: str, sequences: list[np.ndarray], labels: list[int]) -> None:
    """An rnnfab safetensors data file, written atomically."""
    from safetensors.numpy import save_file

    steps = max(len(s) for s in sequences)
    x = np.zeros((len(sequences), steps, sequences[0].shape[1]), dtype=np.float32)
    for i, sequence in enumerate(sequences):
        x[i, :len(sequence)] = sequence
    tensors = {"sequences": x,
               "lengths": np.array([len(s) for s in sequences], dtype=np.int64),
               "labels": np.array(labels, dtype=np.int64)}
    temporary = f"{path}.tmp-{os.getpid()}"
    save_file(tensors, temporary)
    os.replace(temporary, path)


def check_output_folder(out: str) -> None:
    """Refuse a folder that holds files this script did not write."""
    if not os.path.isdir(out):
        os.makedirs(out)
        return
    names = set(os.listdir(out))
    # the trained models of `deno task models:speech` live in DIR/models (their own records)
    if os.path.isdir(os.path.join(out, "models")):
        names.discard("models")
    if not names:
        return
    manifest = os.path.join(out, "manifest.json")
    try:
        with open(manifest, encoding="utf-8") as handle:
            value = json.load(handle)
        ours = set(value["files"]) | {"manifest.json"} if value.get("generator") == GENERATOR else set()
    except (OSError, ValueError, KeyError):
        ours = set()
    foreign = sorted(names - ours)
    if foreign:
        sys.exit(f"make_speech: {out} holds files this script did not write ({foreign[0]}, ...); "
                 "choose an empty or new folder with --out")


def standardize(train: list[np.ndarray], sets: list[list[np.ndarray]]) -> dict:
    """Standardize every set in place with the training frames' mean and deviation."""
    frames = np.concatenate(train)
    mean = frames.mean(axis=0)
    std = np.maximum(frames.std(axis=0), 1e-6)
    for dataset in sets:
        for i, sequence in enumerate(dataset):
            dataset[i] = (sequence - mean) / std
    return {"mean": np.round(mean, 6).tolist(), "std": np.round(std, 6).tolist()}


SPLITS = ("train", "test", "val")


def make(out: str, per_word: int, seed: int, val_per_word: int) -> dict:
    """Make the data set into ``out``; returns the manifest."""
    check_output_folder(out)
    plan = utterance_plan(per_word, seed)
    for entry in plan:
        entry["split"] = "test" if entry["variant"] in TEST_VARIANTS else "train"
    val_plan = utterance_plan(val_per_word, seed + 1, sorted(TEST_VARIANTS))
    for entry in val_plan:
        entry["split"] = "val"
    plan += val_plan
    filters = {}
    feats = {size: {split: [] for split in SPLITS} for size in (40, 153)}
    labels = {split: [] for split in SPLITS}
    # espeak-ng runs in two processes at a time; the results are used in plan order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        rendered = list(pool.map(render, plan))
    for entry, (signal, rate) in zip(plan, rendered):
        for bands in (40, 51):
            if (bands, rate) not in filters:
                filters[(bands, rate)] = mel_filters(bands, rate)
        split = entry["split"]
        small = log_mel(signal, rate, filters[(40, rate)])
        large = with_differences(log_mel(signal, rate, filters[(51, rate)]))
        entry["frames"] = len(small)
        feats[40][split].append(small)
        feats[153][split].append(large)
        labels[split].append(entry["label"])
    normalization = {}
    files = {}
    for size, sets in feats.items():
        normalization[str(size)] = standardize(sets["train"], [sets[split] for split in SPLITS])
        for split in SPLITS:
            name = f"speech{size}_{split}.safetensors"
            write_data(os.path.join(out, name), sets[split], labels[split])
            with open(os.path.join(out, name), "rb") as handle:
                files[name] = hashlib.sha256(handle.read()).hexdigest()
    manifest = {
        "generator": GENERATOR,
        "espeak": espeak_version(),
        "seed": seed,
        "perWord": per_word,
        "words": WORDS,
        "testVariants": sorted(TEST_VARIANTS),
        "valPerWord": val_per_word,
        "valSeed": seed + 1,
        "frameHz": FRAME_HZ,
        "windowSeconds": WINDOW_S,
        "fftSize": FFT_SIZE,
        "melHz": [MEL_LOW_HZ, MEL_HIGH_HZ],
        "counts": {split: len(labels[split]) for split in SPLITS},
        "files": files,
        "normalization": normalization,
        "utterances": plan,
    }
    temporary = os.path.join(out, f"manifest.json.tmp-{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
        handle.write("\n")
    os.replace(temporary, os.path.join(out, "manifest.json"))
    return manifest


def main() -> None:
    """Parse the flags, make the set, print what was made."""
    parser = argparse.ArgumentParser(
        prog="python scripts/make_speech.py",
        description="Make the spoken-word data set with espeak-ng (docs/delta.md).")
    parser.add_argument("--out", default=os.path.join(ROOT, ".cache", "speech"),
                        help="output folder (default .cache/speech)")
    parser.add_argument("--per-word", type=int, default=100,
                        help="utterances per word (default 100)")
    parser.add_argument("--val-per-word", type=int, default=30,
                        help="validation utterances per word (default 30)")
    parser.add_argument("--seed", type=int, default=19, help="seed of every random draw")
    args = parser.parse_args()
    if args.per_word < 1:
        parser.error("--per-word must be at least 1")
    if args.val_per_word < 1:
        parser.error("--val-per-word must be at least 1")
    try:
        espeak_version()
    except (OSError, subprocess.CalledProcessError):
        sys.exit("make_speech: espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    manifest = make(os.path.abspath(args.out), args.per_word, args.seed, args.val_per_word)
    frames = [u["frames"] for u in manifest["utterances"]]
    counts = manifest["counts"]
    print(f"make_speech: {counts['train']} train, {counts['test']} test and {counts['val']} "
          "validation "
          f"utterances of {len(WORDS)} words, {min(frames)}..{max(frames)} frames "
          f"(mean {np.mean(frames):.1f}) of 40 and 153 features, in {args.out}")


if __name__ == "__main__":
    main()
