"""Extract a small gallery of real test images for the demo: MNIST and CIFAR-10 (JPEG q75 copy) test splits.

Picks, for each class in turn, its first image in test-set order, then the next images in order until COUNT,
so every class appears. Writes lossless PNGs (pixels identical to what the trainer evaluates on: the MNIST IDX
bytes, and CIFAR-10 JPEGs decoded with Pillow as in cifar10/to-bin.py) and gallery.json with the true labels.

Usage (from the repo root): .venv/bin/python demo/scripts/extract_gallery.py [../shared/data] [demo/public/gallery]
"""

import gzip
import io
import json
import sys
import tarfile
from pathlib import Path

from PIL import Image

COUNT = 12
MNIST_LABELS = [str(digit) for digit in range(10)]


def pick(labels: list[int], num_classes: int) -> list[int]:
    first_of_class = [labels.index(c) for c in range(num_classes)]
    rest = [i for i in range(len(labels)) if i not in first_of_class]
    return sorted(first_of_class + rest[: COUNT - num_classes])


def mnist(data: Path, out: Path) -> list[dict]:
    images = gzip.decompress((data / "mnist/t10k-images-idx3-ubyte.gz").read_bytes())[16:]
    labels = list(gzip.decompress((data / "mnist/t10k-labels-idx1-ubyte.gz").read_bytes())[8:])
    entries = []
    for index in pick(labels, 10):
        name = f"mnist-{index:05d}.png"
        Image.frombytes("L", (28, 28), images[index * 784 : (index + 1) * 784]).save(out / name, optimize=True)
        entries.append({"file": name, "label": labels[index], "labelName": MNIST_LABELS[labels[index]], "testIndex": index})
    return entries


def cifar10(data: Path, out: Path) -> list[dict]:
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with tarfile.open(data / "cifar10/cifar10-jpeg.tar.gz") as archive:
        members = {m.name: m for m in archive.getmembers() if m.name.startswith("test/")}
        ordered = sorted(members, key=lambda name: int(Path(name).stem.split("_")[0]))
        labels = [int(Path(name).stem.split("_")[1]) for name in ordered]
        entries = []
        for index in pick(labels, 10):
            jpeg = archive.extractfile(members[ordered[index]]).read()
            name = f"cifar10-{index:05d}.png"
            Image.open(io.BytesIO(jpeg)).convert("RGB").save(out / name, optimize=True)
            entries.append({"file": name, "label": labels[index], "labelName": names[labels[index]], "testIndex": index})
    return entries


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "demo/public/gallery")
    out.mkdir(parents=True, exist_ok=True)
    gallery = {
        "mnist": {"source": "MNIST test set (LeCun et al. 1998), CC BY-SA 3.0", "images": mnist(data, out)},
        "cifar10": {
            "source": "CIFAR-10 test set (Krizhevsky 2009), from a JPEG q75 copy",
            "images": cifar10(data, out),
        },
    }
    (out / "gallery.json").write_text(json.dumps(gallery, indent=2) + "\n")


if __name__ == "__main__":
    main()
