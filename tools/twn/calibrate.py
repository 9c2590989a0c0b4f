"""int16 calibration of a .twn file (docs/FORMAT.md §7.1): activation ranges per ternary layer, the exact simulation
of the integer arithmetic on the test set, and the file re-written with `metadata.int16`.

Works on the bytes of a written file, so it serves the exporter and the shipped models alike (those have no
checkpoint here):

    python -m tools.twn.calibrate demo/models/lenet5-twn.twn --write   # calibrate, simulate, re-write in place

The ranges are r = max|x| of each ternary layer's input over the first `--images` training images (the file's graph
run in float64). `bits` is the smallest of BITS_CHOICES whose simulated top-1 on the whole test split is within
MAX_ACCURACY_LOSS of the file's float top-1; fewer bits let the kernel add more codes in 16-bit lanes before it must
widen. When none is close enough the file still gets the widest choice with its accuracy, and the runtime declines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from .canonical import canonical_bytes
from .data import DATASET_DISPLAY_NAMES, DEFAULT_CACHE_DIR, DEFAULT_DATA_ROOT, Split, load_dataset
from .twn_reader import LayerInput, TwnFile, execute, is_ternary_layer, read_twn

BITS_CHOICES = (8, 10, 12)
MAX_ACCURACY_LOSS = 0.001  # 0.1 points of top-1, the runtime's rule for offering int16 (FORMAT.md §7.1)
CALIBRATION_IMAGES = 2000
STATISTIC = "max|x|"
BATCH = 500


def ternary_layers(twn: TwnFile) -> list[str]:
    return [node["name"] for node in twn.header["nodes"] if is_ternary_layer(twn, node)]


def pixels(images_uint8: torch.Tensor) -> torch.Tensor:
    """byte / 255 in float64: what export.file_accuracy feeds the graph for the file's float top-1."""
    return images_uint8.double() / 255.0


def input_ranges(twn: TwnFile, images_uint8: torch.Tensor) -> dict[str, float]:
    """max|x| of every ternary layer's input over the images, in graph order (the keys of metadata.int16)."""
    ranges = dict.fromkeys(ternary_layers(twn), 0.0)

    def record(name: str, x: torch.Tensor) -> tuple[torch.Tensor, float]:
        ranges[name] = max(ranges[name], float(x.abs().max()))
        return x, 1.0

    for start in range(0, len(images_uint8), BATCH):
        execute(twn, pixels(images_uint8[start:start + BATCH]), record)
    return ranges


def quantizer(bits: int, ranges: dict[str, float]) -> LayerInput:
    """FORMAT.md §7.1 for `execute`: codes q = clamp(roundTiesToEven(x·s), ±qmax) with s = float32(qmax / r), and the
    factor r/qmax that turns the layer's exact integer sum back into the float scale."""
    qmax = 2 ** (bits - 1) - 1

    def quantize(name: str, x: torch.Tensor) -> tuple[torch.Tensor, float]:
        r = ranges[name]
        s = float(np.float32(qmax / r))
        # torch.round rounds halves to even, as roundTiesToEven does.
        return torch.clamp(torch.round(x * s), -qmax, qmax), r / qmax

    return quantize


def top1(twn: TwnFile, split: Split, layer_input: LayerInput | None = None) -> float:
    correct = 0
    for start in range(0, len(split), BATCH):
        logits = execute(twn, pixels(split.images[start:start + BATCH]), layer_input)
        correct += int((logits.argmax(1) == split.labels[start:start + BATCH].numpy()).sum())
    return correct / len(split)


def choose_int16(twn: TwnFile, train: Split, test: Split, dataset: str, float_top1: float,
                 calibration_images: int = CALIBRATION_IMAGES, log=print, bits_choices=BITS_CHOICES) -> dict:
    """The `metadata.int16` object for this file: ranges from the training images, then the smallest bits that
    keeps the simulated top-1 within MAX_ACCURACY_LOSS of `float_top1` (or the widest, with its loss)."""
    ranges = input_ranges(twn, train.images[:calibration_images])
    for bits in bits_choices:
        accuracy = top1(twn, test, quantizer(bits, ranges))
        log(f"bits {bits}: int16 top-1 {accuracy:.4f} on {len(test)} test images (float {float_top1:.4f})")
        # The allowance matches src/api/precision.ts: 0.9934 − 0.001 is not exactly 0.9924 in binary.
        if accuracy >= float_top1 - MAX_ACCURACY_LOSS - 1e-9 or bits == bits_choices[-1]:
            break
    return {
        "bits": bits,
        "inputRanges": ranges,
        "calibration": {"dataset": dataset, "split": "train", "images": min(calibration_images, len(train)),
                        "statistic": STATISTIC},
        "accuracy": {"top1": accuracy, "split": "test", "images": len(test)},
    }


def with_int16(blob: bytes, int16: dict | None) -> bytes:
    """The file re-written canonically with `metadata.int16` set (or removed for None): tensors and data unchanged."""
    metadata = {key: value for key, value in read_twn(blob).metadata.items() if key != "int16"}
    return canonical_bytes(blob, metadata if int16 is None else {**metadata, "int16": int16})


def calibrate_file(blob: bytes, data_root: Path = DEFAULT_DATA_ROOT, cache_dir: Path = DEFAULT_CACHE_DIR,
                   calibration_images: int = CALIBRATION_IMAGES, log=print) -> bytes:
    """The file with `metadata.int16` from its own dataset (metadata.dataset); unchanged if it has no ternary layer."""
    twn = read_twn(blob)
    if not ternary_layers(twn):
        log("no ternary or binary layers: no int16 key")
        return with_int16(blob, None)
    names = {display: name for name, display in DATASET_DISPLAY_NAMES.items()}
    dataset = load_dataset(names[twn.metadata["dataset"]], data_root, cache_dir)
    float_top1 = twn.metadata["accuracy"]["top1"]
    int16 = choose_int16(twn, dataset.train, dataset.test, twn.metadata["dataset"], float_top1, calibration_images,
                         log)
    return with_int16(blob, int16)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--images", type=int, default=CALIBRATION_IMAGES, help="training images for the ranges")
    parser.add_argument("--write", action="store_true", help="re-write each file in place (else print the key)")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    args = parser.parse_args(argv)
    for path in args.files:
        print(path, file=sys.stderr)
        blob = calibrate_file(path.read_bytes(), args.data_root, args.cache_dir, args.images,
                              log=lambda line: print(f"  {line}", file=sys.stderr))
        print(json.dumps(read_twn(blob).metadata.get("int16"), indent=1))
        if args.write:
            path.write_bytes(blob)


if __name__ == "__main__":
    main()
