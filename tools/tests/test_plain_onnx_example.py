"""tools/examples/plain_ternary_onnx.py: its ONNX file is what `twn convert` is tested on (test/convert/), so check
here that the file holds what the example claims: ternary weights (BatchNorm folded in by the exporter, so α·s per
output channel) and the logits of the PyTorch model."""

import json

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper

from tools.examples.plain_ternary_onnx import export


def test_exported_weights_are_ternary_per_output_channel(tmp_path):
    paths = export(tmp_path / "plain", images=4)
    model = onnx.load(paths["onnx"])
    weights = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    layers = [node for node in model.graph.node if node.op_type in ("Conv", "Gemm")]
    assert [node.op_type for node in layers] == ["Conv", "Conv", "Conv", "Gemm", "Gemm"]
    for node in layers:
        rows = weights[node.input[1]].reshape(weights[node.input[1]].shape[0], -1)
        for row in rows:
            magnitudes = np.unique(np.abs(row[row != 0]))
            assert len(magnitudes) == 1, f"{node.name}: {len(magnitudes)} distinct non-zero |w| in one output channel"
        assert (rows == 0).any(), f"{node.name}: no zero weights, so not ternary"


def test_onnx_runtime_reproduces_the_reference_logits(tmp_path):
    paths = export(tmp_path / "plain", images=4)
    reference = json.loads((tmp_path / "plain-reference.json").read_text())
    images = np.array(reference["images"], dtype=np.float32).reshape(reference["inputShape"])
    session = onnxruntime.InferenceSession(paths["onnx"], providers=["CPUExecutionProvider"])
    logits = session.run(["logits"], {"image": images})[0]
    assert np.abs(logits - np.array(reference["logits"])).max() < 1e-5
