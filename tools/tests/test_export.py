"""Export → read back bit-exact, BatchNorm folding equivalence, ONNX output equals PyTorch."""

import struct
import zlib

import numpy as np
import pytest
import torch

from tools.twn.export import export_onnx, fold_batchnorm, pack_ternary2, run_onnx, twn_bytes
from tools.twn.models import ConvBN, LinearBN, build_model
from tools.twn.quant import QUANTIZED_LAYER_TYPES
from tools.twn.twn_reader import execute, read_twn, unpack_ternary2

METADATA = {"trained": False, "producer": "test"}


def randomized_model(architecture="lenet5", seed=0, **kwargs):
    """A model with random weights AND non-trivial BatchNorm statistics, so folding is actually exercised."""
    torch.manual_seed(seed)
    model = build_model(architecture, **kwargs)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_pack_ternary2_hand_worked():
    # codes +1, −1, 0, +1 → 2-bit 1, 2, 0, 1 at bits 0, 2, 4, 6: 1 + 8 + 64 = 73
    assert pack_ternary2(np.array([[1, -1, 0, 1]])).tolist() == [73]
    # 17 codes per row → 2 words per row; row 1 starts on a fresh word; unused codes are 0
    codes = np.zeros((2, 17), dtype=np.int8)
    codes[0, 16] = -1
    codes[1, 0] = 1
    assert pack_ternary2(codes).tolist() == [0, 2, 1, 0]
    assert pack_ternary2(np.full((1, 16), -1)).tolist() == [0xAAAAAAAA]


def test_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    codes = rng.integers(-1, 2, size=(7, 3, 5, 5)).astype(np.int8)
    assert np.array_equal(unpack_ternary2(pack_ternary2(codes), list(codes.shape)), codes)


def quantized_layers_with_bn(model):
    """(name, layer, bn or None) for every conv / dense layer, named as in the .twn."""
    for name, module in model.body.named_modules():
        if isinstance(module, ConvBN):
            yield name, module.conv, module.bn
        elif isinstance(module, LinearBN):
            yield name, module.fc, module.bn
        elif isinstance(module, QUANTIZED_LAYER_TYPES) and not name.endswith((".conv", ".fc")):
            yield name, module, None


CASES = [("lenet5", {"mode": "ternary", "granularity": "per-layer"}),
         ("lenet5", {"mode": "ternary", "granularity": "per-channel"}),
         ("lenet5", {"mode": "binary", "granularity": "per-layer"}),
         ("lenet5", {"mode": "float"}),
         ("lenet5", {"mode": "ternary", "full_precision_layers": ["first", "last"]}),
         ("vgg7", {"mode": "ternary", "granularity": "per-channel", "width": 0.0625}),
         ("resnet18-cifar", {"mode": "ternary", "granularity": "per-channel", "width": 0.125})]


@pytest.mark.parametrize("architecture,kwargs", CASES)
def test_export_read_back_bit_exact(architecture, kwargs):
    model = randomized_model(architecture, **kwargs)
    blob, _ = twn_bytes(model, METADATA)

    magic, version, header_length, reserved = struct.unpack_from("<4sIII", blob)
    assert (magic, version, reserved) == (b"TWN!", 1, 0)
    assert (16 + header_length) % 64 == 0
    twn = read_twn(blob)
    assert zlib.crc32(blob[twn.data_offset:]) == twn.header["dataCrc32"]
    assert all(entry["offset"] % 64 == 0 for entry in twn.header["tensors"].values())
    assert twn.header["input"]["name"] == "image" and twn.header["outputs"] == ["logits"]

    for name, layer, bn in quantized_layers_with_bn(model):
        weight = twn.tensors[f"{name}.weight"]
        if layer.mode == "float":
            assert twn.dtypes[f"{name}.weight"] == "f32"
            assert np.array_equal(weight, layer.weight.detach().numpy())
            assert f"{name}.alpha" not in twn.tensors
            assert name in twn.metadata["fullPrecisionLayers"]
        else:
            codes, alpha = layer.codes_and_alpha()
            assert twn.dtypes[f"{name}.weight"] == "ternary2"
            assert np.array_equal(weight, codes.numpy())
            assert np.array_equal(twn.tensors[f"{name}.alpha"], alpha.float().numpy())  # bit-exact f32
            if layer.mode == "binary":
                assert (weight != 0).all()
        if bn is not None:
            scale, bias = fold_batchnorm(bn, layer.bias)
            assert np.array_equal(twn.tensors[f"{name}.scale"], scale)
            assert np.array_equal(twn.tensors[f"{name}.bias"], bias)
        else:
            assert np.array_equal(twn.tensors[f"{name}.bias"], layer.bias.detach().numpy())


def test_fold_batchnorm_formula():
    bn = torch.nn.BatchNorm2d(3, eps=1e-5).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
    scale, bias = fold_batchnorm(bn, None)
    s = np.array([1.0, 2.0, 0.5]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(scale, s, rtol=1e-7)
    np.testing.assert_allclose(bias, -np.array([0.5, -1.0, 2.0]) * s + np.array([0.0, 1.0, -1.0]), rtol=1e-6)


@pytest.mark.parametrize("architecture,kwargs", CASES)
def test_folded_file_computes_what_the_eval_model_computes(architecture, kwargs):
    model = randomized_model(architecture, **kwargs)
    twn = read_twn(twn_bytes(model, METADATA)[0])
    torch.manual_seed(5)
    images = torch.rand(4, *model.input_spec["shape"])
    with torch.no_grad():
        expected = model(images).double().numpy()
    folded = execute(twn, images.double())
    np.testing.assert_allclose(folded, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("architecture,kwargs", [CASES[0], CASES[2], CASES[-1]])
def test_onnx_output_equals_pytorch(tmp_path, architecture, kwargs):
    model = randomized_model(architecture, **kwargs)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    torch.manual_seed(6)
    images = torch.rand(3, *model.input_spec["shape"])  # batch 3 ≠ the export example's 2: dynamic batch
    with torch.no_grad():
        expected = model(images).numpy()
    np.testing.assert_allclose(run_onnx(path, images.numpy()), expected, rtol=1e-4, atol=1e-4)


def test_reader_rejects_corrupted_data():
    blob = bytearray(twn_bytes(randomized_model(), METADATA)[0])
    blob[-1] ^= 0xFF
    with pytest.raises(ValueError, match="CHECKSUM_MISMATCH"):
        read_twn(bytes(blob))
