"""tools/twn/calibrate.py and the Python reader's check of metadata.int16 (docs/FORMAT.md §7.1)."""

from pathlib import Path

import pytest

from tools.twn.calibrate import with_int16
from tools.twn.twn_reader import TwnReadError, int16_calibration, read_twn

MODELS_DIR = Path(__file__).resolve().parents[2] / "demo" / "models"
LENET = (MODELS_DIR / "lenet5-twn.twn").read_bytes()
LENET_LAYERS = ["conv1", "conv2", "fc1", "fc2"]


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
    blob = with_int16(LENET, {"bits": 8, "inputRanges": {}})
    twn = read_twn(blob)
    twn.header["metadata"]["int16"] = int16
    with pytest.raises(TwnReadError, match=message.replace("$", r"\$").replace("[", r"\[")):
        int16_calibration(twn)
