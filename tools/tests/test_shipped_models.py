"""The files in demo/models/: they read back, are marked trained, and reproduce their own reference logits
(float64 .twn graph and fp32 ONNX)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tools.twn.calibrate import BITS_CHOICES, ternary_layers
from tools.twn.export import run_onnx
from tools.twn.twn_reader import execute, int16_calibration, read_twn

MODELS_DIR = Path(__file__).resolve().parents[2] / "demo" / "models"
SHIPPED = sorted(MODELS_DIR.glob("*.twn"))


@pytest.mark.skipif(not SHIPPED, reason="no trained models shipped yet")
@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_model_reproduces_its_reference(path):
    twn = read_twn(path)
    assert twn.metadata["trained"] is True
    assert twn.metadata["producer"] == "twn-export 0.1.0"
    assert 0 < twn.metadata["accuracy"]["top1"] <= 1
    reference = json.loads((MODELS_DIR / f"{path.stem}-reference.json").read_text())
    images = np.array(reference["images"], dtype=np.float64).reshape(reference["inputShape"])
    logits = np.array(reference["logits"])
    np.testing.assert_allclose(execute(twn, images), logits, rtol=0, atol=1e-9)
    onnx_logits = run_onnx(path.with_suffix(".onnx"), images)
    np.testing.assert_allclose(onnx_logits, logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())


def test_manifest_lists_every_shipped_model():
    manifest_path = MODELS_DIR / "models.json"
    if not manifest_path.exists():
        pytest.skip("no models.json yet")
    listed = {entry["file"] for entry in json.loads(manifest_path.read_text())["models"]}
    assert listed == {path.name for path in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_ternary_files_carry_their_int16_calibration(path):
    twn = read_twn(path)
    int16 = int16_calibration(twn)
    if not ternary_layers(twn):
        assert int16 is None
        return
    assert list(int16["inputRanges"]) == ternary_layers(twn)
    assert int16["bits"] in BITS_CHOICES
    assert int16["accuracy"]["images"] == twn.metadata["accuracy"]["images"]
    assert int16["calibration"]["split"] == "train"
