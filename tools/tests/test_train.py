"""Seconds-long training smoke runs on a tiny MNIST subset: single process, resume, and 2-process gloo DDP."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from tools.twn.data import DEFAULT_DATA_ROOT, load_imagenet_folder, load_mnist, random_crop_and_flip
from tools.twn.train import lr_factor, parse_args, train

REPO_ROOT = Path(__file__).resolve().parents[2]
needs_mnist = pytest.mark.skipif(not (DEFAULT_DATA_ROOT / "mnist").exists(), reason="no ../shared/data/mnist")


def read_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


@needs_mnist
def test_mnist_reader_matches_published_facts():
    mnist = load_mnist(DEFAULT_DATA_ROOT)
    assert tuple(mnist.train.images.shape) == (60000, 1, 28, 28) and len(mnist.test) == 10000
    assert mnist.test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.mark.skipif(not (DEFAULT_DATA_ROOT / "imagenet" / "sample").exists(), reason="no ImageNet sample")
def test_imagenet_folder_reader():
    sample = load_imagenet_folder(DEFAULT_DATA_ROOT / "imagenet" / "sample", limit=3)
    assert tuple(sample.images.shape) == (3, 3, 224, 224) and sample.images.dtype == torch.uint8
    assert sample.labels.tolist() == [0, 10, 20]


def test_random_crop_and_flip_keeps_shape_and_pixels():
    images = torch.randint(1, 255, (8, 3, 32, 32), dtype=torch.uint8)
    out = random_crop_and_flip(images, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.uint8
    assert set(out.unique().tolist()) <= set(images.unique().tolist()) | {0}  # zeros come from the padding


def test_step_schedule():
    assert [lr_factor("step", e, 10) for e in (0, 5, 6, 8, 9)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])


@needs_mnist
def test_training_smoke_loss_decreases_and_resume(tmp_path):
    common = ["--arch", "lenet5", "--dataset", "mnist", "--subset", "512", "--batch-size", "64", "--lr", "0.05",
              "--schedule", "constant", "--threads", "1", "--no-progress", "--out", str(tmp_path)]
    train(parse_args(common + ["--epochs", "2"]))
    train(parse_args(common + ["--epochs", "3", "--resume", "--bf16", "--channels-last"]))
    log = read_log(tmp_path)
    assert [r["epoch"] for r in log] == [1, 2, 3] and log[2]["resumed"]
    assert log[-1]["train_loss"] < log[0]["train_loss"]
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert checkpoint["epoch"] == 2 and len(checkpoint["history"]) == 3


@needs_mnist
@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="no torch.distributed/gloo")
def test_ddp_two_processes_gloo(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "tools.twn.train", "--arch", "lenet5", "--subset", "256", "--epochs", "1",
               "--batch-size", "32", "--threads", "1", "--no-progress", "--device", "cpu", "--out", str(tmp_path)]
    environment = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
                            timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = read_log(tmp_path)
    assert record["world_size"] == 2 and record["test_images"] == 256
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert checkpoint["command"].startswith("torchrun --nproc_per_node 2")
