"""Ternarization / binarization against the paper's formulas on hand-worked tensors, and the straight-through
estimator."""

import pytest
import torch
import torch.nn.functional as F

from tools.twn.quant import TernaryConv2d, TernaryLinear, binarize, quantize_weight, ternarize

# Worked by hand below: |W| sums to 3.25 over 8 weights.
WEIGHT = torch.tensor([[0.1, -0.5, 0.9, 0.0],
                       [-1.2, 0.3, 0.05, -0.2]], dtype=torch.float64)


def test_ternarize_per_layer_hand_worked():
    # mean|W| = 3.25/8 = 0.40625, Δ = 0.7·0.40625 = 0.284375 → kept: -0.5, 0.9, -1.2, 0.3
    codes, alpha = ternarize(WEIGHT, "per-layer")
    assert codes.tolist() == [[0, -1, 1, 0], [-1, 1, 0, 0]]
    assert alpha.shape == (1,)
    assert alpha.item() == pytest.approx((0.5 + 0.9 + 1.2 + 0.3) / 4)  # 0.725


def test_ternarize_per_channel_hand_worked():
    # row 0: mean 0.375, Δ 0.2625 → -0.5, 0.9 kept, α 0.7
    # row 1: mean 0.4375, Δ 0.30625 → only -1.2 kept (0.3 < Δ), α 1.2
    codes, alpha = ternarize(WEIGHT, "per-channel")
    assert codes.tolist() == [[0, -1, 1, 0], [-1, 0, 0, 0]]
    assert alpha.tolist() == pytest.approx([0.7, 1.2])


def test_ternarize_conv_shaped_weight_matches_flattened_rows():
    conv_weight = WEIGHT.reshape(2, 1, 2, 2)
    codes, alpha = ternarize(conv_weight, "per-channel")
    assert codes.reshape(2, 4).tolist() == [[0, -1, 1, 0], [-1, 0, 0, 0]]
    assert alpha.tolist() == pytest.approx([0.7, 1.2])


def test_ternarize_all_zero_channel_has_zero_alpha():
    codes, alpha = ternarize(torch.zeros(2, 3), "per-channel")
    assert codes.abs().sum() == 0 and alpha.tolist() == [0.0, 0.0]


def test_binarize_hand_worked():
    codes, alpha = binarize(WEIGHT, "per-layer")
    assert codes.tolist() == [[1, -1, 1, 1], [-1, 1, 1, -1]]  # sign(0) = +1: binary codes are never 0
    assert alpha.item() == pytest.approx(0.40625)
    _, alpha_per_channel = binarize(WEIGHT, "per-channel")
    assert alpha_per_channel.tolist() == pytest.approx([0.375, 0.4375])


@pytest.mark.parametrize("mode", ["ternary", "binary"])
@pytest.mark.parametrize("granularity", ["per-layer", "per-channel"])
def test_conv_forward_uses_alpha_times_codes(mode, granularity):
    torch.manual_seed(0)
    layer = TernaryConv2d(3, 4, 3, padding=1, bias=False, mode=mode, granularity=granularity)
    x = torch.randn(2, 3, 8, 8)
    codes, alpha = layer.codes_and_alpha()
    expected = F.conv2d(x, codes.float() * alpha.reshape(-1, 1, 1, 1), padding=1)
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize("mode", ["ternary", "binary"])
@pytest.mark.parametrize("granularity", ["per-layer", "per-channel"])
def test_straight_through_gradient_equals_gradient_wrt_quantized_weight(mode, granularity):
    torch.manual_seed(1)
    layer = TernaryConv2d(3, 4, 3, bias=False, mode=mode, granularity=granularity)
    x = torch.randn(2, 3, 7, 7)
    upstream = torch.randn(2, 4, 5, 5)
    (layer(x) * upstream).sum().backward()

    quantized = quantize_weight(layer.weight, mode, granularity).detach().requires_grad_()
    (F.conv2d(x, quantized) * upstream).sum().backward()
    assert torch.equal(layer.weight.grad, quantized.grad)


def test_linear_straight_through_gradient():
    torch.manual_seed(2)
    layer = TernaryLinear(6, 3, mode="ternary", granularity="per-layer")
    x = torch.randn(5, 6)
    layer(x).pow(2).sum().backward()
    quantized = layer.effective_weight().detach().requires_grad_()
    F.linear(x, quantized, layer.bias.detach()).pow(2).sum().backward()
    assert torch.equal(layer.weight.grad, quantized.grad)


@pytest.mark.parametrize("mode", ["ternary", "binary", "float"])
def test_float_weights_untouched_by_forward_and_backward(mode):
    torch.manual_seed(3)
    layer = TernaryConv2d(2, 3, 3, mode=mode, granularity="per-channel")
    before = layer.weight.detach().clone()
    layer(torch.randn(1, 2, 5, 5)).sum().backward()
    assert torch.equal(layer.weight.detach(), before)
    if mode != "float":
        assert not torch.equal(layer.effective_weight().detach(), before)  # the forward used something else


def test_float_mode_is_identity():
    layer = TernaryLinear(4, 2, mode="float")
    assert layer.effective_weight() is layer.weight
