"""Train a TWN / BWN / full-precision network (CPU or CUDA; DistributedDataParallel under torchrun).

    python -m tools.twn.train --arch lenet5 --dataset mnist --mode ternary --epochs 15 --lr 0.01 \
        --batch-size 64 --out runs/lenet5-twn
    torchrun --nproc_per_node 2 -m tools.twn.train ... (gloo on CPU, nccl on CUDA)

Writes into --out: checkpoint.pt (after every epoch; --resume continues from it), log.jsonl (one JSON object per
epoch) and prints one log line per epoch. The reported accuracy is the LAST epoch's test accuracy (no picking the
best epoch on the test set).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler, RandomSampler

from .data import DATASETS, DEFAULT_CACHE_DIR, DEFAULT_DATA_ROOT, Split, iterate_batches, load_dataset
from .models import ARCHITECTURES, build_model
from .quant import GRANULARITIES, WEIGHT_MODES

CHECKPOINT_NAME = "checkpoint.pt"
LOG_NAME = "log.jsonl"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=ARCHITECTURES, default="lenet5")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    parser.add_argument("--mode", choices=WEIGHT_MODES, default="ternary")
    parser.add_argument("--granularity", choices=GRANULARITIES, default="per-layer")
    parser.add_argument("--full-precision", default="",
                        help="comma-separated layers kept in float, e.g. 'first,last' or 'conv1,fc2'")
    parser.add_argument("--width", type=float, default=1.0, help="channel width multiplier (vgg7, resnet18)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--schedule", default="step",
                        help="'step' (×0.1 at 60%% and 85%% of the epochs), 'step:F1,F2,...' (fractions), "
                             "'cosine' or 'constant'")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (CPU)")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the forward pass")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--subset", type=int, default=None, help="use only the first N train and N test images")
    parser.add_argument("--augment", choices=("auto", "yes", "no"), default="auto",
                        help="random crop (pad 4) + flip; auto = on for CIFAR-10")
    parser.add_argument("--out", type=Path, required=True, help="run directory (checkpoint, logs)")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pt")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    return parser.parse_args(argv)


def lr_factor(schedule: str, epoch: int, total_epochs: int) -> float:
    """Multiplier of the base learning rate during `epoch` (0-based)."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * epoch / total_epochs))
    if schedule == "step" or schedule.startswith("step:"):
        fractions = [0.6, 0.85] if schedule == "step" else [float(f) for f in schedule[5:].split(",")]
        # A drop at fraction f happens at epoch ⌊f·total + ½⌋ (0-based), e.g. 15 epochs: epochs 9 and 13.
        drops = sum(epoch >= math.floor(f * total_epochs + 0.5) for f in fractions)
        return 0.1 ** drops
    raise ValueError(f"unknown schedule {schedule!r}")


def run_command_string() -> str:
    """The command that started this run, as it can be typed again."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    prefix = (f"torchrun --nproc_per_node {world_size} -m tools.twn.train" if world_size > 1
              else "python -m tools.twn.train")
    return f"{prefix} {shlex.join(sys.argv[1:])}"


class Distributed:
    """Rank / world size; a no-op wrapper when not under torchrun."""

    def __init__(self, device: torch.device):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.enabled = self.world_size > 1
        self.rank = int(os.environ.get("RANK", "0"))
        if self.enabled:
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def sum(self, values: list[float]) -> list[float]:
        if not self.enabled:
            return values
        tensor = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.enabled:
            dist.destroy_process_group()


def pick_device(requested: str) -> torch.device:
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(requested)
    if device.type == "cuda" and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    return device


def autocast_context(device: torch.device, bf16: bool):
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def prepare(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    images = images.to(device, non_blocking=True)
    return images.contiguous(memory_format=torch.channels_last) if channels_last else images


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, device: torch.device, distributed: Distributed,
             batch_size: int = 500, channels_last: bool = False) -> tuple[float, float, int]:
    """(mean loss, top-1 accuracy, image count) in float32; each process takes every world_size-th image."""
    model.eval()
    indices = list(range(distributed.rank, len(split), distributed.world_size))
    loss_sum = correct = count = 0.0
    for images, labels in iterate_batches(split, batch_size, indices):
        logits = model(prepare(images, device, channels_last)).float()
        labels = labels.to(device)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(1) == labels).sum().item()
        count += len(labels)
    loss_sum, correct, count = distributed.sum([loss_sum, correct, count])
    return loss_sum / count, correct / count, int(count)


def save_checkpoint(path: Path, state: dict) -> None:
    """Write to a temporary file first so a kill mid-write never leaves a truncated checkpoint."""
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    temporary.replace(path)


def train(args: argparse.Namespace) -> dict:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    distributed = Distributed(device)
    torch.manual_seed(args.seed)

    dataset = load_dataset(args.dataset, args.data_root, args.cache_dir)
    train_split, test_split = dataset.train.first(args.subset), dataset.test.first(args.subset)
    if device.type == "cuda":
        # Keep the uint8 datasets on the GPU (CIFAR-10: 180 MB): batching and augmentation then run there too.
        train_split, test_split = train_split.to(device), test_split.to(device)
    augment = args.augment == "yes" or (args.augment == "auto" and args.dataset == "cifar10")

    full_precision = [name.strip() for name in args.full_precision.split(",") if name.strip()]
    model = build_model(args.arch, args.mode, args.granularity, full_precision, args.width, dataset.class_names,
                        num_classes=len(dataset.class_names))
    model.to(device)
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: lr_factor(args.schedule, e, args.epochs))

    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = args.out / CHECKPOINT_NAME
    start_epoch, history, previous_seconds = 0, [], 0.0
    command = run_command_string()
    if args.resume and checkpoint_path.exists():
        checkpoint = torch.load(checkpoint_path, map_location=device, weights_only=False)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        start_epoch, history = checkpoint["epoch"] + 1, checkpoint["history"]
        previous_seconds = checkpoint["train_seconds"]
        command = checkpoint["command"]  # the run keeps its original command; resumes are logged in history
        if distributed.is_main:
            print(f"resuming after epoch {start_epoch} from {checkpoint_path}", file=sys.stderr)

    trained_model = DistributedDataParallel(model) if distributed.enabled else model
    sampler = (DistributedSampler(range(len(train_split)), distributed.world_size, distributed.rank,
                                  shuffle=True, seed=args.seed) if distributed.enabled
               else RandomSampler(range(len(train_split)), generator=torch.Generator().manual_seed(args.seed)))
    augment_generator = torch.Generator()

    show_progress = distributed.is_main and not args.no_progress
    if show_progress:
        from tqdm import tqdm
    run_started = time.time()
    for epoch in range(start_epoch, args.epochs):
        if distributed.enabled:
            sampler.set_epoch(epoch)
        else:
            # Same permutations whether or not the run was resumed: epoch e always draws with seed+e.
            sampler.generator.manual_seed(args.seed + epoch)
        augment_generator.manual_seed(args.seed + 1000 * distributed.rank + 100_000 * epoch)
        epoch_started = time.time()
        trained_model.train()
        batches = iterate_batches(train_split, args.batch_size, iter(sampler), augment, augment_generator)
        steps_per_epoch = math.ceil(len(sampler) / args.batch_size)
        if show_progress:
            batches = tqdm(batches, total=steps_per_epoch, desc=f"epoch {epoch + 1}/{args.epochs}",
                           mininterval=1.0 if sys.stderr.isatty() else 30.0, leave=False)
        # Running sums stay tensors on the device: no host synchronisation per step (matters on a GPU).
        loss_sum = torch.zeros((), device=device, dtype=torch.float64)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        count = 0
        for images, labels in batches:
            images, labels = prepare(images, device, args.channels_last), labels.to(device)
            with autocast_context(device, args.bf16):
                logits = trained_model(images)
            loss = F.cross_entropy(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(labels)
            correct += (logits.argmax(1) == labels).sum()
            count += len(labels)
            if show_progress and batches.n % 50 == 0:
                batches.set_postfix(loss=f"{loss_sum.item() / count:.4f}", acc=f"{correct.item() / count:.4f}",
                                    refresh=False)
        learning_rate = optimizer.param_groups[0]["lr"]
        scheduler.step()
        loss_sum, correct, count = distributed.sum([loss_sum.item(), float(correct.item()), float(count)])
        test_loss, test_accuracy, test_images = evaluate(model, test_split, device, distributed,
                                                         channels_last=args.channels_last)
        epoch_seconds = time.time() - epoch_started
        record = {"epoch": epoch + 1, "lr": learning_rate,
                  "train_loss": loss_sum / count, "train_acc": correct / count,
                  "test_loss": test_loss, "test_acc": test_accuracy, "test_images": test_images,
                  "epoch_seconds": round(epoch_seconds, 2), "world_size": distributed.world_size,
                  "resumed": epoch == start_epoch and start_epoch > 0}
        history.append(record)
        if distributed.is_main:
            print(json.dumps(record), flush=True)
            with open(args.out / LOG_NAME, "a") as log:
                log.write(json.dumps(record) + "\n")
            run_args = vars(args) | {"out": str(args.out), "data_root": str(args.data_root),
                                     "cache_dir": str(args.cache_dir)}
            save_checkpoint(checkpoint_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch, "history": history,
                "build_args": model.build_args, "args": run_args, "command": command, "dataset": args.dataset,
                "train_seconds": previous_seconds + time.time() - run_started,
                "hardware": hardware_description(device, args.threads, distributed.world_size)})
        distributed.barrier()
    distributed.close()
    return {"history": history, "train_seconds": previous_seconds + time.time() - run_started}


def hardware_description(device: torch.device, threads: int | None, world_size: int) -> str:
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        what = f"CPU ({os.cpu_count()} cores, {threads or torch.get_num_threads()} torch threads per process)"
    return f"{what} × {world_size} processes" if world_size > 1 else what


def main(argv: list[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
