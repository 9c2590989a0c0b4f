"""tools/twn/calibrate.py (int16 calibration, docs/FORMAT.md §7.1) and the Python reader's check of metadata.int16."""

from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from tools.twn.calibrate import choose_int16, input_ranges, quantizer, top1, with_int16
from tools.twn.canonical import canonical_bytes, serialize
from tools.twn.data import Split, load_dataset
from tools.twn.export import export_checkpoint, pack_ternary2
from tools.twn.train import parse_args, train
from tools.twn.twn_reader import TwnReadError, execute, int16_calibration, read_twn

MODELS_DIR = Path(__file__).resolve().parents[2] / "demo" / "models"
LENET = (MODELS_DIR / "lenet5-twn.twn").read_bytes()
LENET_LAYERS = ["conv1", "conv2", "fc1", "fc2"]


def worked_example(metadata: dict | None = None) -> bytes:
    """FORMAT.md §9: x = (p − 0.5)/0.25; logits = (0.5·(x0 − x2) + 0.25, 0.5·(x2 − x1) − 1)."""
    f32 = lambda *values: np.array(values, dtype="<f4").tobytes()
    tensors = {
        "fc.weight": ("ternary2", [2, 3], pack_ternary2(np.array([[1, 0, -1], [0, -1, 1]])).astype("<u4").tobytes()),
        "fc.alpha": ("f32", [1], f32(0.5)),
        "fc.bias": ("f32", [2], f32(0.25, -1)),
    }
    nodes = [
        {"name": "flatten", "op": "flatten", "inputs": ["image"], "outputs": ["flat"]},
        {"name": "fc", "op": "dense", "inputs": ["flat"], "outputs": ["logits"],
         "params": {"weight": "fc.weight", "alpha": "fc.alpha", "bias": "fc.bias"}},
    ]
    spec = {"name": "image", "shape": [1, 1, 3], "colorLayout": "gray", "mean": [0.5], "std": [0.25], "labels": []}
    return serialize(spec, nodes, tensors, {"trained": False, **(metadata or {})}, ["logits"])


# p = (0.5, 0.75, 1) → x = (0, 1, 2).
@pytest.mark.parametrize(("bits", "r", "expected"), [
    # qmax 7, s = 3.5: x·s = (0, 3.5, 7) → q = (0, 4, 7), 3.5 rounding to the even 4. Σ = (−7, 3), r/qmax = 2/7.
    (4, 2.0, [-7 * 2 / 7 * 0.5 + 0.25, 3 * 2 / 7 * 0.5 - 1]),
    # s = float32(7 / 2.8) = 2.5: x·s = (0, 2.5, 5) → q = (0, 2, 5), 2.5 rounding to the even 2. Σ = (−5, 3).
    (4, 2.8, [-5 * 0.4 * 0.5 + 0.25, 3 * 0.4 * 0.5 - 1]),
    # s = 7: x·s = (0, 7, 14) → q = (0, 7, 7), clamped at qmax. Σ = (−7, 0), r/qmax = 1/7.
    (4, 1.0, [-1 * 0.5 + 0.25, -1.0]),
    # qmax 1 (bits 2), s = 0.5: x·s = (0, 0.5, 1) → q = (0, 0, 1). Σ = (−1, 1), r/qmax = 2.
    (2, 2.0, [-2 * 0.5 + 0.25, 2 * 0.5 - 1]),
])
def test_simulation_matches_a_hand_worked_dense_layer(bits, r, expected):
    twn = read_twn(worked_example())
    logits = execute(twn, np.array([[[[0.5, 0.75, 1.0]]]]), quantizer(bits, {"fc": r}))
    np.testing.assert_allclose(logits[0], expected, rtol=0, atol=1e-15)


def numpy_int_lenet(twn, bits: int, ranges: dict[str, float], images: np.ndarray) -> np.ndarray:
    """LeNet-5 in plain numpy with int64 codes and sums, written from FORMAT.md §4 and §7.1 alone."""
    qmax = 2 ** (bits - 1) - 1
    t = twn.tensors

    def codes(name, x):
        s = float(np.float32(qmax / ranges[name]))
        return np.clip(np.rint(x * s), -qmax, qmax).astype(np.int64), ranges[name] / qmax

    def epilogue(name, sums, step):
        shape = (1, -1) + (1,) * (sums.ndim - 2)
        y = sums * step * t[f"{name}.alpha"].astype(np.float64).reshape(shape)
        if f"{name}.scale" in t:
            y = y * t[f"{name}.scale"].astype(np.float64).reshape(shape)
        return y + t[f"{name}.bias"].astype(np.float64).reshape(shape)

    def conv(name, x):
        q, step = codes(name, x)
        weight = t[f"{name}.weight"].astype(np.int64)
        windows = sliding_window_view(q, weight.shape[2:], axis=(2, 3))  # [N, C, H', W', kh, kw]
        sums = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3]))  # [N, H', W', O]
        return epilogue(name, sums.transpose(0, 3, 1, 2), step)

    def dense(name, x):
        q, step = codes(name, x)
        return epilogue(name, q @ t[f"{name}.weight"].astype(np.int64).T, step)

    def relu_pool(x):
        n, c, h, w = x.shape
        return np.maximum(x, 0).reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    spec = twn.header["input"]
    x = (images - spec["mean"][0]) / spec["std"][0]
    x = relu_pool(conv("conv2", relu_pool(conv("conv1", x))))
    return dense("fc2", np.maximum(dense("fc1", x.reshape(len(x), -1)), 0))


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.mark.parametrize("bits", [8, 4])
def test_simulation_matches_an_independent_numpy_integer_lenet(mnist, bits):
    twn = read_twn(LENET)
    ranges = input_ranges(twn, mnist.train.images[:64])
    images = mnist.test.images[:64].double().numpy() / 255.0
    simulated = execute(twn, images, quantizer(bits, ranges))
    independent = numpy_int_lenet(twn, bits, ranges, images)
    np.testing.assert_allclose(simulated, independent, rtol=1e-12, atol=1e-12)
    float_logits = execute(twn, images)
    assert np.abs(simulated - float_logits).max() > 1e-3, "the quantiser changed nothing"


def test_ranges_are_the_largest_layer_input_over_the_images(mnist):
    twn = read_twn(LENET)
    images = mnist.train.images[:100]
    ranges = input_ranges(twn, images)
    assert list(ranges) == LENET_LAYERS
    spec = twn.header["input"]
    normalized = (images.double() / 255.0 - spec["mean"][0]) / spec["std"][0]
    assert ranges["conv1"] == pytest.approx(float(normalized.abs().max()), rel=1e-15)
    assert all(r > 0 for r in ranges.values())


def random_split(count: int, seed: int) -> Split:
    generator = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (count, 1, 1, 3), dtype=torch.uint8, generator=generator),
                 torch.zeros(count, dtype=torch.int64))


def test_bits_are_the_fewest_within_a_tenth_of_a_point():
    twn = read_twn(worked_example())
    train, test = random_split(200, 1), random_split(2000, 2)
    test.labels = torch.from_numpy(execute(twn, test.images.double() / 255.0).argmax(1))  # float top-1 is 1
    ranges = input_ranges(twn, train.images)
    accuracy = {bits: top1(twn, test, quantizer(bits, ranges)) for bits in (2, 3, 4, 8)}
    assert accuracy[2] < 0.999, "bits 2 should lose more than 0.1 points here"
    fewest = next(bits for bits in (2, 3, 4, 8) if accuracy[bits] >= 0.999)
    chosen = choose_int16(twn, train, test, "random", 1.0, log=lambda _: None, bits_choices=(2, 3, 4, 8))
    assert (chosen["bits"], chosen["accuracy"]["top1"]) == (fewest, accuracy[fewest])
    assert chosen["inputRanges"] == ranges
    assert chosen["calibration"] == {"dataset": "random", "split": "train", "images": 200, "statistic": "max|x|"}

    test.labels[:5] = 1 - test.labels[:5]  # float top-1 0.9975: no bits reaches 1.0 − 0.001, so the widest is kept
    widest = choose_int16(twn, train, test, "random", 1.0, log=lambda _: None, bits_choices=(2, 3, 4, 8))
    assert (widest["bits"], widest["accuracy"]["top1"]) == (8, top1(twn, test, quantizer(8, ranges)))


def test_written_file_round_trips_with_only_its_metadata_changed():
    int16 = {"bits": 10, "inputRanges": dict.fromkeys(LENET_LAYERS, 2.5),
             "calibration": {"dataset": "MNIST", "split": "train", "images": 2000, "statistic": "max|x|"},
             "accuracy": {"top1": 0.99, "split": "test", "images": 10000}}
    shipped = read_twn(LENET)
    assert with_int16(LENET, shipped.metadata["int16"]) == LENET  # the shipped file is what the writer produces
    blob = with_int16(LENET, int16)
    twn = read_twn(blob)  # read_twn checks the CRC-32 of the data section
    assert blob[twn.data_offset:] == LENET[shipped.data_offset:]
    assert canonical_bytes(blob) == blob
    assert twn.metadata == {**shipped.metadata, "int16": int16}
    assert {k: v for k, v in twn.header.items() if k != "metadata"} == \
        {k: v for k, v in shipped.header.items() if k != "metadata"}
    assert "int16" not in read_twn(with_int16(blob, None)).metadata


def test_reader_accepts_the_key_and_returns_it_typed():
    blob = with_int16(LENET, {"bits": 10, "inputRanges": dict.fromkeys(LENET_LAYERS, 2.5)})
    calibration = int16_calibration(read_twn(blob))
    assert calibration["qmax"] == 511
    assert calibration["inputRanges"] == dict.fromkeys(LENET_LAYERS, 2.5)
    assert int16_calibration(read_twn(with_int16(blob, None))) is None


@pytest.mark.parametrize(("int16", "message"), [
    ({"bits": 16, "inputRanges": {}}, "SCHEMA at $.metadata.int16.bits"),
    ({"bits": 1.5, "inputRanges": {}}, "SCHEMA at $.metadata.int16.bits"),
    ({"bits": True, "inputRanges": {}}, "SCHEMA at $.metadata.int16.bits"),
    ({"bits": 8, "inputRanges": {"conv1": float("nan")}}, "SCHEMA at $.metadata.int16.inputRanges['conv1']"),
    ({"bits": 8, "inputRanges": {"conv1": -1}}, "SCHEMA at $.metadata.int16.inputRanges['conv1']"),
    ({"bits": 8, "inputRanges": {"conv1": 1e31}}, "SCHEMA at $.metadata.int16.inputRanges['conv1']"),
    ({"bits": 8, "inputRanges": {"pool1": 1}}, "BAD_CALIBRATION at $.metadata.int16.inputRanges['pool1']"),
    ({"bits": 8, "inputRanges": {"nowhere": 1}}, "BAD_CALIBRATION at $.metadata.int16.inputRanges['nowhere']"),
    ({"bits": 8, "inputRanges": {}, "bitz": 8}, "SCHEMA at $.metadata.int16.bitz"),
    ({"bits": 8, "inputRanges": {}, "accuracy": {"top1": 99.3}}, "SCHEMA at $.metadata.int16.accuracy.top1"),
])
def test_reader_rejects_bad_int16(int16, message):
    twn = read_twn(LENET)
    twn.header["metadata"]["int16"] = int16
    with pytest.raises(TwnReadError, match=message.replace("$", r"\$").replace("[", r"\[")):
        int16_calibration(twn)


def test_exporter_writes_the_int16_key(tmp_path):
    train(parse_args(["--arch", "lenet5", "--dataset", "mnist", "--subset", "256", "--epochs", "1", "--lr", "0.05",
                      "--threads", "1", "--no-progress", "--out", str(tmp_path)]))
    summary = export_checkpoint(tmp_path / "checkpoint.pt", tmp_path / "model", onnx=False, test_images=300,
                                reference_images=2, calibration_images=100)
    int16 = int16_calibration(read_twn(tmp_path / "model.twn"))
    assert list(int16["inputRanges"]) == LENET_LAYERS
    assert int16["bits"] in (8, 10, 12)
    assert int16["accuracy"]["images"] == 300 and int16["calibration"]["images"] == 100
    within = int16["accuracy"]["top1"] >= summary["top1"] - 0.001
    assert within or int16["bits"] == 12, "a wider choice was skipped although the narrower one lost accuracy"
