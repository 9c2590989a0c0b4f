"""The paper's networks, built from quantizable layers: LeNet-5, VGG-7 (with a width multiplier), ResNet-18.

Every network is a `TwnNet`: a `Normalize` front (so the model takes [0, 1] pixels, as the .twn runtime does) and
a `body` of named blocks. Module paths in the body become node names in the exported .twn ("conv1",
"layer2.0.shortcut", "fc2"). Each conv / fully-connected layer is quantized with the network's mode and
granularity unless its name is listed in `full_precision_layers` (the paper quantizes all layers; some recipes
keep the first and last in float).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import torch
from torch import nn

from .quant import GRANULARITIES, WEIGHT_MODES, TernaryConv2d, TernaryLinear

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

ARCHITECTURES = ("lenet5", "vgg7", "resnet18-cifar", "resnet18")


@dataclass(frozen=True)
class QuantConfig:
    mode: str = "ternary"
    granularity: str = "per-layer"
    full_precision_layers: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self):
        if self.mode not in WEIGHT_MODES:
            raise ValueError(f"mode must be one of {WEIGHT_MODES}")
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")

    def mode_for(self, layer_name: str) -> str:
        return "float" if layer_name in self.full_precision_layers else self.mode


class Normalize(nn.Module):
    """(x − mean[c]) / std[c] on [0, 1] pixels. Exported as the .twn input spec, not as a node."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).reshape(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).reshape(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class ConvBN(nn.Module):
    """Quantized conv (no bias: the BatchNorm's β replaces it) → BatchNorm → optional ReLU."""

    def __init__(self, name: str, quant: QuantConfig, in_channels: int, out_channels: int, kernel: int,
                 stride: int = 1, padding: int = 0, relu: bool = True):
        super().__init__()
        self.conv = TernaryConv2d(in_channels, out_channels, kernel, stride=stride, padding=padding, bias=False,
                                  mode=quant.mode_for(name), granularity=quant.granularity)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.relu else x


class LinearBN(nn.Module):
    """Quantized fully-connected layer (no bias) → BatchNorm1d → ReLU: the hidden FC layers."""

    def __init__(self, name: str, quant: QuantConfig, in_features: int, out_features: int):
        super().__init__()
        self.fc = TernaryLinear(in_features, out_features, bias=False,
                                mode=quant.mode_for(name), granularity=quant.granularity)
        self.bn = nn.BatchNorm1d(out_features)
        self.relu = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.fc(x)))


def classifier(name: str, quant: QuantConfig, in_features: int, num_classes: int) -> TernaryLinear:
    """The last layer: quantized weights, a float bias, no BatchNorm, no ReLU (its outputs are the logits)."""
    return TernaryLinear(in_features, num_classes, bias=True, mode=quant.mode_for(name),
                         granularity=quant.granularity)


class BasicBlock(nn.Module):
    """ResNet BasicBlock: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)), projection shortcut when the shape
    changes (1×1 conv + BN)."""

    def __init__(self, name: str, quant: QuantConfig, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = ConvBN(f"{name}.conv1", quant, in_channels, out_channels, 3, stride, 1, relu=True)
        self.conv2 = ConvBN(f"{name}.conv2", quant, out_channels, out_channels, 3, 1, 1, relu=False)
        needs_projection = stride != 1 or in_channels != out_channels
        self.shortcut = (ConvBN(f"{name}.shortcut", quant, in_channels, out_channels, 1, stride, 0, relu=False)
                         if needs_projection else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(self.conv2(self.conv1(x)) + residual)


class TwnNet(nn.Module):
    """Normalize → body. `input_spec` is what the .twn `input` header needs besides the value name."""

    def __init__(self, architecture: str, body: OrderedDict, input_spec: dict, quant: QuantConfig,
                 build_args: dict):
        super().__init__()
        self.architecture = architecture
        self.input_spec = input_spec
        self.quant = quant
        self.build_args = build_args  # enough to rebuild the same module tree from a checkpoint
        self.normalize = Normalize(input_spec["mean"], input_spec["std"])
        self.body = nn.Sequential(body)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.normalize(x))


def lenet5(quant: QuantConfig, num_classes: int = 10) -> OrderedDict:
    """32-C5, MP2, 64-C5, MP2, 512-FC, 10-FC on 28×28 gray (no padding, as in Caffe's LeNet): 28→24→12→8→4."""
    return OrderedDict([
        ("conv1", ConvBN("conv1", quant, 1, 32, 5)),
        ("pool1", nn.MaxPool2d(2, 2)),
        ("conv2", ConvBN("conv2", quant, 32, 64, 5)),
        ("pool2", nn.MaxPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", LinearBN("fc1", quant, 64 * 4 * 4, 512)),
        ("fc2", classifier("fc2", quant, 512, num_classes)),
    ])


def _scaled(channels: int, width: float) -> int:
    return max(1, round(channels * width))


def vgg7(quant: QuantConfig, num_classes: int = 10, width: float = 1.0) -> OrderedDict:
    """2×128-C3, MP2, 2×256-C3, MP2, 2×512-C3, MP2, 1024-FC, 10-FC on 32×32 RGB; widths × `width`."""
    c1, c2, c3, hidden = (_scaled(c, width) for c in (128, 256, 512, 1024))
    return OrderedDict([
        ("conv1", ConvBN("conv1", quant, 3, c1, 3, padding=1)),
        ("conv2", ConvBN("conv2", quant, c1, c1, 3, padding=1)),
        ("pool1", nn.MaxPool2d(2, 2)),
        ("conv3", ConvBN("conv3", quant, c1, c2, 3, padding=1)),
        ("conv4", ConvBN("conv4", quant, c2, c2, 3, padding=1)),
        ("pool2", nn.MaxPool2d(2, 2)),
        ("conv5", ConvBN("conv5", quant, c2, c3, 3, padding=1)),
        ("conv6", ConvBN("conv6", quant, c3, c3, 3, padding=1)),
        ("pool3", nn.MaxPool2d(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", LinearBN("fc1", quant, c3 * 4 * 4, hidden)),
        ("fc2", classifier("fc2", quant, hidden, num_classes)),
    ])


def resnet18(quant: QuantConfig, num_classes: int, cifar_stem: bool, width: float = 1.0) -> OrderedDict:
    """ResNet-18 (BasicBlock ×[2,2,2,2], projection shortcuts). ImageNet stem: 7×7/2 conv + 3×3/2 max pool;
    CIFAR stem: 3×3/1 conv, no pool."""
    widths = [_scaled(c, width) for c in (64, 128, 256, 512)]
    body: OrderedDict = OrderedDict()
    if cifar_stem:
        body["conv1"] = ConvBN("conv1", quant, 3, widths[0], 3, 1, 1)
    else:
        body["conv1"] = ConvBN("conv1", quant, 3, widths[0], 7, 2, 3)
        body["pool1"] = nn.MaxPool2d(3, 2, 1)
    in_channels = widths[0]
    for stage, out_channels in enumerate(widths, start=1):
        stride = 1 if stage == 1 else 2
        blocks = OrderedDict()
        for index in range(2):
            blocks[str(index)] = BasicBlock(f"layer{stage}.{index}", quant, in_channels, out_channels,
                                            stride if index == 0 else 1)
            in_channels = out_channels
        body[f"layer{stage}"] = nn.Sequential(blocks)
    body["avgpool"] = nn.AdaptiveAvgPool2d(1)
    body["flatten"] = nn.Flatten()
    body["fc"] = classifier("fc", quant, in_channels, num_classes)
    return body


# The first and last quantizable layer of each architecture, for `full_precision_layers` shortcuts.
FIRST_LAST_LAYERS = {"lenet5": ("conv1", "fc2"), "vgg7": ("conv1", "fc2"),
                     "resnet18-cifar": ("conv1", "fc"), "resnet18": ("conv1", "fc")}


def resolve_layer_names(architecture: str, names: list[str]) -> frozenset[str]:
    """Maps the shortcuts 'first' / 'last' to layer names."""
    first, last = FIRST_LAST_LAYERS[architecture]
    return frozenset({"first": first, "last": last}.get(name, name) for name in names if name)


def build_model(architecture: str, mode: str = "ternary", granularity: str = "per-layer",
                full_precision_layers: list[str] | tuple[str, ...] = (), width: float = 1.0,
                labels: list[str] | None = None, num_classes: int | None = None) -> TwnNet:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    quant = QuantConfig(mode, granularity, resolve_layer_names(architecture, list(full_precision_layers)))
    labels = list(labels or [])
    build_args = {"architecture": architecture, "mode": mode, "granularity": granularity,
                  "full_precision_layers": sorted(quant.full_precision_layers), "width": width, "labels": labels,
                  "num_classes": num_classes}
    if architecture == "lenet5":
        classes = num_classes or 10
        body = lenet5(quant, classes)
        spec = {"shape": [1, 28, 28], "colorLayout": "gray", "mean": list(MNIST_MEAN), "std": list(MNIST_STD)}
    elif architecture == "vgg7":
        classes = num_classes or 10
        body = vgg7(quant, classes, width)
        spec = {"shape": [3, 32, 32], "colorLayout": "rgb", "mean": list(CIFAR_MEAN), "std": list(CIFAR_STD)}
    elif architecture == "resnet18-cifar":
        classes = num_classes or 10
        body = resnet18(quant, classes, cifar_stem=True, width=width)
        spec = {"shape": [3, 32, 32], "colorLayout": "rgb", "mean": list(CIFAR_MEAN), "std": list(CIFAR_STD)}
    else:
        classes = num_classes or 1000
        body = resnet18(quant, classes, cifar_stem=False, width=width)
        spec = {"shape": [3, 224, 224], "colorLayout": "rgb",
                "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)}
    spec["labels"] = labels
    return TwnNet(architecture, body, spec, quant, build_args)


def load_model_from_checkpoint(checkpoint: dict) -> TwnNet:
    """Rebuilds the module tree from the checkpoint's build arguments and loads the trained state."""
    model = build_model(**checkpoint["build_args"])
    model.load_state_dict(checkpoint["model"])
    return model
