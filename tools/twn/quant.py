"""Weight quantization of Ternary Weight Networks (Li et al. 2016, arXiv 1605.04711).

A quantized layer keeps its float weights W as the trainable parameters and, in every forward pass, uses
α·Wᵗ instead:

* ternary (TWN): Δ = 0.7·mean|W|; Wᵗ = +1 where W > Δ, −1 where W < −Δ, else 0; α = mean |W| over |W| > Δ.
* binary (BWN):  Wᵗ = sign(W) (0 maps to +1, so there are no zero codes); α = mean|W|.
* float:         W itself (the full-precision baseline).

The statistics (Δ, α) are taken over the whole tensor ('per-layer', the paper's Caffe code) or over each
output channel ('per-channel', the paper's official PyTorch code).

The backward pass is the straight-through estimator: the gradient with respect to the float weights is the
gradient with respect to the quantized weights, unchanged. The float weights are never overwritten (the official
PyTorch code ternarizes them in place and restores them afterwards; we do not need to).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

WEIGHT_MODES = ("ternary", "binary", "float")
GRANULARITIES = ("per-layer", "per-channel")
DELTA_FACTOR = 0.7
DELTA_RULE = "0.7*mean|W|"


def _reduce_dims(weight: torch.Tensor, granularity: str) -> tuple[int, ...]:
    """Dimensions the statistics are averaged over: all of them, or all but the output channel (dim 0)."""
    if granularity == "per-layer":
        return tuple(range(weight.dim()))
    if granularity == "per-channel":
        return tuple(range(1, weight.dim()))
    raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")


def _alpha_shape(weight: torch.Tensor, granularity: str) -> tuple[int, ...]:
    """α is stored as [1] per layer or [O] per output channel (the .twn `alpha` tensor shapes)."""
    return (1,) if granularity == "per-layer" else (weight.shape[0],)


def ternarize(weight: torch.Tensor, granularity: str = "per-layer") -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (codes in {-1, 0, +1} with the weight's shape and dtype, α of shape [1] or [O])."""
    dims = _reduce_dims(weight, granularity)
    magnitude = weight.abs()
    delta = DELTA_FACTOR * magnitude.mean(dim=dims, keepdim=True)
    codes = (weight > delta).to(weight.dtype) - (weight < -delta).to(weight.dtype)
    kept = (magnitude > delta).to(weight.dtype)
    # clamp: an all-zero tensor (or channel) keeps no weight; α is then 0 instead of 0/0.
    alpha = (magnitude * kept).sum(dim=dims, keepdim=True) / kept.sum(dim=dims, keepdim=True).clamp(min=1)
    return codes, alpha.reshape(_alpha_shape(weight, granularity))


def binarize(weight: torch.Tensor, granularity: str = "per-layer") -> tuple[torch.Tensor, torch.Tensor]:
    """BWN: codes = sign(W) with sign(0) = +1 (the .twn binary export must have no zero codes); α = mean|W|."""
    dims = _reduce_dims(weight, granularity)
    codes = torch.where(weight >= 0, 1.0, -1.0).to(weight.dtype)
    alpha = weight.abs().mean(dim=dims, keepdim=True)
    return codes, alpha.reshape(_alpha_shape(weight, granularity))


def quantize_codes(weight: torch.Tensor, mode: str, granularity: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes, α) for the ternary and binary modes."""
    if mode == "ternary":
        return ternarize(weight, granularity)
    if mode == "binary":
        return binarize(weight, granularity)
    raise ValueError(f"mode {mode!r} has no codes (expected 'ternary' or 'binary')")


def _broadcast_alpha(alpha: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """[1] or [O] → shape that broadcasts against the weight [O, ...]."""
    return alpha.reshape((-1,) + (1,) * (weight.dim() - 1))


class _StraightThroughQuantize(torch.autograd.Function):
    """forward: α·Wᵗ. backward: the incoming gradient, untouched (straight-through estimator)."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, mode: str, granularity: str) -> torch.Tensor:
        codes, alpha = quantize_codes(weight, mode, granularity)
        return codes * _broadcast_alpha(alpha, weight)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output, None, None


def quantize_weight(weight: torch.Tensor, mode: str, granularity: str) -> torch.Tensor:
    """The weight the layer computes with (α·Wᵗ, or W in float mode); differentiable via the STE."""
    if mode == "float":
        return weight
    if mode not in WEIGHT_MODES:
        raise ValueError(f"mode must be one of {WEIGHT_MODES}, got {mode!r}")
    return _StraightThroughQuantize.apply(weight, mode, granularity)


class _QuantizedWeightMixin:
    """Shared by TernaryConv2d and TernaryLinear: the quantization settings and the export view."""

    mode: str
    granularity: str
    weight: nn.Parameter

    def _init_quantization(self, mode: str, granularity: str) -> None:
        if mode not in WEIGHT_MODES:
            raise ValueError(f"mode must be one of {WEIGHT_MODES}, got {mode!r}")
        _reduce_dims(self.weight, granularity)  # validates the granularity name
        self.mode = mode
        self.granularity = granularity

    def effective_weight(self) -> torch.Tensor:
        return quantize_weight(self.weight, self.mode, self.granularity)

    @torch.no_grad()
    def codes_and_alpha(self) -> tuple[torch.Tensor, torch.Tensor]:
        """For export: integer codes (int8, weight shape) and α ([1] or [O]) of the current float weights."""
        codes, alpha = quantize_codes(self.weight.detach(), self.mode, self.granularity)
        return codes.to(torch.int8), alpha

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, mode={self.mode}, granularity={self.granularity}"


class TernaryConv2d(_QuantizedWeightMixin, nn.Conv2d):
    """nn.Conv2d whose forward uses the quantized weight; the float weight stays the trained parameter."""

    def __init__(self, *args, mode: str = "ternary", granularity: str = "per-layer", **kwargs):
        super().__init__(*args, **kwargs)
        self._init_quantization(mode, granularity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.bias)


class TernaryLinear(_QuantizedWeightMixin, nn.Linear):
    """nn.Linear whose forward uses the quantized weight; the float weight stays the trained parameter."""

    def __init__(self, *args, mode: str = "ternary", granularity: str = "per-layer", **kwargs):
        super().__init__(*args, **kwargs)
        self._init_quantization(mode, granularity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.bias)


QUANTIZED_LAYER_TYPES = (TernaryConv2d, TernaryLinear)
