"""A ternary network written with plain PyTorch modules (nothing from tools.twn), exported to ONNX for `twn convert`.

This is what your own training code looks like at export time: nn.Conv2d / nn.BatchNorm2d / nn.Linear whose weights
hold α·{−1, 0, +1} (set here by the TWN rule: Δ = 0.7·mean|W|, α = mean of |W| over |W| > Δ; per output channel for
the convolutions, per layer for the linear layers), the input normalisation inside forward(), a residual addition,
max and average pooling, and a flatten written as x.view(x.size(0), -1). Random weights and BatchNorm statistics stand in for a trained model.

    .venv/bin/python tools/examples/plain_ternary_onnx.py --out /tmp/plain-twn
    npx twn convert /tmp/plain-twn.onnx -o /tmp/plain-twn.twn

writes  <out>.onnx             opset 17, dynamic batch, input "image" = [0, 1] pixels [N, 3, 16, 16], output "logits"
        <out>-reference.json   seeded input images and the logits PyTorch computes for them in float64
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


class PlainTernaryNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, 0.45, 0.4]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.24, 0.26]).view(1, 3, 1, 1))
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(32 * 2 * 2, 24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = (image - self.mean) / self.std
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)) + x)
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv3(x))
        x = F.avg_pool2d(x, 2)
        x = F.relu(self.fc1(x.view(x.size(0), -1)))  # exports Shape → Gather → Unsqueeze → Concat → Reshape
        return self.fc2(x)


def ternarize_(weight: torch.Tensor, per_channel: bool) -> None:
    """In place: weight ← α·{−1, 0, +1} by the TWN rule, one Δ and α per output channel or for the whole tensor."""
    groups = weight.view(weight.shape[0], -1) if per_channel else weight.view(1, -1)
    delta = 0.7 * groups.abs().mean(dim=1, keepdim=True)
    above = groups.abs() > delta
    alpha = (groups.abs() * above).sum(dim=1, keepdim=True) / above.sum(dim=1, keepdim=True)
    groups.copy_(alpha * torch.sign(groups) * above)


def build_model(seed: int = 0) -> PlainTernaryNet:
    torch.manual_seed(seed)
    model = PlainTernaryNet()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                ternarize_(module.weight, per_channel=True)
            elif isinstance(module, nn.Linear):
                ternarize_(module.weight, per_channel=False)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def export(out: Path, images: int = 8, seed: int = 0) -> dict:
    model = build_model(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx_path = out.with_suffix(".onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (torch.zeros(2, 3, 16, 16),), str(onnx_path), input_names=["image"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    generator = torch.Generator().manual_seed(seed + 1)
    pixels = torch.rand(images, 3, 16, 16, generator=generator)
    with torch.no_grad():
        logits = model.double()(pixels.double())
    reference = {"inputShape": list(pixels.shape), "images": pixels.flatten(1).double().tolist(),
                 "logits": logits.tolist(), "logitsNote": "PyTorch, float64, on the float32 pixels"}
    reference_path = out.parent / f"{out.name}-reference.json"
    reference_path.write_text(json.dumps(reference) + "\n")
    return {"onnx": str(onnx_path), "reference": str(reference_path)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="output prefix, e.g. /tmp/plain-twn")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(export(args.out, args.images, args.seed)))


if __name__ == "__main__":
    main()
