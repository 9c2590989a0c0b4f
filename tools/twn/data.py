"""Datasets, read only from the local data root (default `<repo>/../shared/data`); nothing is downloaded.

Every split is held in memory as uint8 images [N, C, H, W] plus int64 labels; batches are converted to [0, 1]
floats (byte / 255) and the model normalises them itself (models.Normalize), as the .twn runtime does.

* MNIST: the four IDX .gz files in `<root>/mnist`.
* CIFAR-10: the standard binary batches, written once by `<root>/cifar10/to-bin.py` (from the JPEG-q75 copy of
  CIFAR-10: not bit-exact, say "JPEG copy" next to any accuracy) into `<repo>/data-cache/cifar10-bin`.
* ImageNet: a folder of JPEGs with a labels.tsv (file, index, ...), resized to 256 and center-cropped to 224.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_ROOT = REPO_ROOT.parent / "shared" / "data"
DEFAULT_CACHE_DIR = REPO_ROOT / "data-cache"
DATASETS = ("mnist", "cifar10", "imagenet")
DATASET_DISPLAY_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG q75 copy)", "imagenet": "ImageNet (sample)"}
MNIST_LABELS = [str(digit) for digit in range(10)]


@dataclass
class Split:
    images: torch.Tensor  # uint8 [N, C, H, W]
    labels: torch.Tensor  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def first(self, count: int | None) -> Split:
        return self if count is None else Split(self.images[:count], self.labels[:count])

    def to(self, device: torch.device) -> Split:
        return Split(self.images.to(device), self.labels.to(device))


@dataclass
class Dataset:
    name: str
    train: Split
    test: Split
    class_names: list[str]


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip'd): magic 0x0000 08 <ndim>, big-endian u32 dims, then unsigned bytes."""
    raw = gzip.decompress(path.read_bytes())
    if raw[0:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(data_root: Path) -> Dataset:
    folder = Path(data_root) / "mnist"

    def split(prefix: str) -> Split:
        images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
        labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
        return Split(torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))

    return Dataset("mnist", split("train"), split("t10k"), MNIST_LABELS)


CIFAR_RECORD_BYTES = 1 + 3 * 32 * 32


def cifar10_binary_dir(data_root: Path, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """The binary batches, converted from the JPEG archive on first use (about 10 s, needs Pillow)."""
    out = Path(cache_dir) / "cifar10-bin"
    if not (out / "test_batch.bin").exists() or not (out / "batches.meta.txt").exists():
        converter = Path(data_root) / "cifar10" / "to-bin.py"
        print(f"converting CIFAR-10 JPEGs → {out} (once)", file=sys.stderr)
        subprocess.run([sys.executable, str(converter), str(out)], check=True)
    return out


def _read_cifar_batches(paths: list[Path]) -> Split:
    raw = np.concatenate([np.fromfile(p, dtype=np.uint8) for p in paths]).reshape(-1, CIFAR_RECORD_BYTES)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    images = torch.from_numpy(raw[:, 1:].copy()).reshape(-1, 3, 32, 32)  # R plane, G plane, B plane
    return Split(images, labels)


def load_cifar10(data_root: Path, cache_dir: Path = DEFAULT_CACHE_DIR) -> Dataset:
    folder = cifar10_binary_dir(data_root, cache_dir)
    train = _read_cifar_batches([folder / f"data_batch_{i}.bin" for i in range(1, 6)])
    test = _read_cifar_batches([folder / "test_batch.bin"])
    class_names = (folder / "batches.meta.txt").read_text().split()
    return Dataset("cifar10", train, test, class_names)


def _load_imagenet_image(path: Path) -> torch.Tensor:
    """Resize the short side to 256, center-crop 224, RGB uint8 [3, 224, 224]."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = 256 / min(image.size)
        image = image.resize((max(256, round(image.width * scale)), max(256, round(image.height * scale))),
                             Image.BILINEAR)
        left, top = (image.width - 224) // 2, (image.height - 224) // 2
        image = image.crop((left, top, left + 224, top + 224))
        return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).contiguous()


def load_imagenet_folder(folder: Path, limit: int | None = None) -> Split:
    """A folder of JPEGs described by labels.tsv (columns: file, index, ...); the first `limit` rows only."""
    rows = [line.split("\t") for line in (folder / "labels.tsv").read_text().splitlines()[1:] if line.strip()]
    rows = rows[:limit]
    images = torch.stack([_load_imagenet_image(folder / row[0]) for row in rows])
    return Split(images, torch.tensor([int(row[1]) for row in rows], dtype=torch.int64))


def load_imagenet(data_root: Path) -> Dataset:
    """Only the 100-image sample is available offline: it serves as both splits (smoke tests only)."""
    root = Path(data_root) / "imagenet"
    classes = [line.split("\t")[2] for line in (root / "imagenet_classes.tsv").read_text().splitlines()[1:]]
    sample = load_imagenet_folder(root / "sample")
    return Dataset("imagenet", sample, sample, classes)


def load_dataset(name: str, data_root: Path | str = DEFAULT_DATA_ROOT,
                 cache_dir: Path | str = DEFAULT_CACHE_DIR) -> Dataset:
    data_root = Path(data_root)
    if name == "mnist":
        return load_mnist(data_root)
    if name == "cifar10":
        return load_cifar10(data_root, Path(cache_dir))
    if name == "imagenet":
        return load_imagenet(data_root)
    raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")


def to_unit_float(images_uint8: torch.Tensor) -> torch.Tensor:
    """byte / 255: the [0, 1] pixels the models (and the .twn runtime) take."""
    return images_uint8.float().div_(255.0)


def random_crop_and_flip(images: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None
                         ) -> torch.Tensor:
    """CIFAR augmentation on a uint8 batch: zero-pad by 4, random 32×32 crop, random horizontal flip."""
    n, _, height, width = images.shape
    device = images.device  # the random draws come from a CPU generator; indices follow the images (CPU or GPU)
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    offsets_y = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(device)
    offsets_x = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(device)
    # Gather each image's crop with one advanced-indexing call instead of a Python loop.
    rows = (offsets_y[:, None] + torch.arange(height, device=device)[None, :])[:, None, :, None]
    cols = (offsets_x[:, None] + torch.arange(width, device=device)[None, :])[:, None, None, :]
    batch_index = torch.arange(n, device=device)[:, None, None, None]
    channel_index = torch.arange(images.shape[1], device=device)[None, :, None, None]
    cropped = padded[batch_index, channel_index, rows, cols]
    flip = (torch.rand(n, generator=generator) < 0.5).to(device)
    cropped[flip] = cropped[flip].flip(-1)
    return cropped


def iterate_batches(split: Split, batch_size: int, indices: Iterator[int] | list[int], augment: bool = False,
                    generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yields ([0, 1] float images, labels) in the order of `indices` (e.g. a (Distributed)Sampler's)."""
    order = torch.as_tensor(list(indices), dtype=torch.int64, device=split.images.device)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        images = split.images[batch]
        if augment:
            images = random_crop_and_flip(images, generator=generator)
        yield to_unit_float(images), split.labels[batch]
