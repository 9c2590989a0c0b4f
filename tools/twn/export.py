"""Export a training checkpoint to a .twn file (docs/FORMAT.md), its fp32 ONNX twin and reference logits.

    python -m tools.twn.export --checkpoint runs/lenet5-twn/checkpoint.pt --out demo/models/lenet5-twn

writes  <out>.twn             graph + 2-bit packed codes + α + BatchNorm folded into per-channel scale/bias
        <out>.onnx            the same network in fp32 (opset 17, dynamic batch, input "image" = [0, 1] pixels,
                              normalisation included, output "logits")
        <out>-reference.json  the first N test images ([0, 1] pixels) and the logits of the .twn graph computed in
                              float64 from the written file (twn_reader.execute), plus ONNX Runtime's logits

The accuracy stored in the metadata is measured by running the written .twn file (float64) on the test set, and so is
the int16 calibration of its ternary layers (metadata.int16, tools/twn/calibrate.py).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import shlex
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .calibrate import CALIBRATION_IMAGES, choose_int16, ternary_layers
from .canonical import serialize
from .data import DATASET_DISPLAY_NAMES, DEFAULT_CACHE_DIR, DEFAULT_DATA_ROOT, load_dataset
from .models import BasicBlock, ConvBN, LinearBN, TwnNet, load_model_from_checkpoint
from .quant import DELTA_RULE, QUANTIZED_LAYER_TYPES
from .twn_reader import execute, read_twn

PRODUCER = "twn-export 0.1.0"
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
VALUE_FOR_CODE = {0: 0, 1: 1, -1: 2}  # FORMAT.md §5: 0 → 0, +1 → 1, −1 → 2


def pack_ternary2(codes: np.ndarray) -> np.ndarray:
    """[O, ...] values in {-1, 0, 1} → u32 words: 16 2-bit codes per word, weight k of a row at bits 2·(k mod 16),
    each row starting on a fresh word, unused codes 0."""
    rows = codes.shape[0]
    flat = codes.reshape(rows, -1).astype(np.int64)
    if not np.isin(flat, (-1, 0, 1)).all():
        raise ValueError("ternary codes must be -1, 0 or +1")
    two_bit = np.where(flat == -1, 2, flat).astype(np.uint32)
    words_per_row = -(-flat.shape[1] // 16)
    padded = np.zeros((rows, words_per_row * 16), dtype=np.uint32)
    padded[:, :flat.shape[1]] = two_bit
    shifts = 2 * np.arange(16, dtype=np.uint32)
    words = (padded.reshape(rows, words_per_row, 16) << shifts).sum(axis=2, dtype=np.uint64).astype(np.uint32)
    return words.reshape(-1)


def fold_batchnorm(bn: nn.BatchNorm1d | nn.BatchNorm2d, layer_bias: torch.Tensor | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """FORMAT.md §6, in float64, then rounded once to f32: s = γ/√(var+ε); scale = s; bias = (b − mean)·s + β."""
    gamma = bn.weight.detach().double()
    beta = bn.bias.detach().double()
    mean = bn.running_mean.detach().double()
    var = bn.running_var.detach().double()
    s = gamma / torch.sqrt(var + bn.eps)
    b = layer_bias.detach().double() if layer_bias is not None else torch.zeros_like(mean)
    return s.float().numpy(), ((b - mean) * s + beta).float().numpy()


@dataclass
class GraphBuilder:
    """Collects nodes and tensors while walking the model; `tensor_data` keeps the bytes in emission order."""

    nodes: list[dict] = field(default_factory=list)
    tensor_data: dict[str, tuple[str, list[int], bytes]] = field(default_factory=dict)
    layer_stats: list[dict] = field(default_factory=list)
    full_precision_layers: list[str] = field(default_factory=list)

    def add_tensor(self, name: str, dtype: str, shape: list[int], payload: bytes) -> str:
        if name in self.tensor_data:
            raise ValueError(f"duplicate tensor {name}")
        self.tensor_data[name] = (dtype, shape, payload)
        return name

    def add_node(self, name: str, op: str, inputs: list[str], attrs: dict | None = None,
                 params: dict | None = None) -> str:
        self.nodes.append({"name": name, "op": op, "inputs": inputs, "outputs": [name], "attrs": attrs or {},
                           "params": params or {}})
        return name

    def weight_params(self, name: str, layer: nn.Module) -> dict:
        """weight (+ alpha) of a quantized or float layer; records sparsity and α for MODELS.md."""
        shape = list(layer.weight.shape)
        if layer.mode == "float":
            weight = layer.weight.detach().float().numpy()
            self.full_precision_layers.append(name)
            self.layer_stats.append({"layer": name, "dtype": "f32", "shape": shape})
            return {"weight": self.add_tensor(f"{name}.weight", "f32", shape, weight.astype("<f4").tobytes())}
        codes, alpha = layer.codes_and_alpha()
        codes_np, alpha_np = codes.numpy(), alpha.float().numpy()
        self.layer_stats.append({"layer": name, "dtype": "ternary2", "shape": shape,
                                 "zeroFraction": float(np.mean(codes_np == 0)),
                                 "alpha": [float(a) for a in alpha_np] if alpha_np.size <= 1 else None,
                                 "alphaMean": float(alpha_np.mean()), "alphaMin": float(alpha_np.min()),
                                 "alphaMax": float(alpha_np.max())})
        return {"weight": self.add_tensor(f"{name}.weight", "ternary2", shape,
                                          pack_ternary2(codes_np).astype("<u4").tobytes()),
                "alpha": self.add_tensor(f"{name}.alpha", "f32", list(alpha_np.shape),
                                         alpha_np.astype("<f4").tobytes())}

    def folded_params(self, name: str, layer: nn.Module, bn: nn.Module) -> dict:
        scale, bias = fold_batchnorm(bn, layer.bias)
        params = self.weight_params(name, layer)
        params["scale"] = self.add_tensor(f"{name}.scale", "f32", [len(scale)], scale.astype("<f4").tobytes())
        params["bias"] = self.add_tensor(f"{name}.bias", "f32", [len(bias)], bias.astype("<f4").tobytes())
        return params

    def emit(self, module: nn.Module, name: str, value: str) -> str:
        """Appends the nodes computing `module` on `value`; returns the name of the value it produces."""
        if isinstance(module, nn.Sequential):
            for child_name, child in module.named_children():
                value = self.emit(child, f"{name}.{child_name}" if name else child_name, value)
            return value
        if isinstance(module, ConvBN):
            conv = module.conv
            attrs = {"kernel": list(conv.kernel_size), "stride": list(conv.stride), "padding": list(conv.padding)}
            value = self.add_node(name, "conv2d", [value], attrs, self.folded_params(name, conv, module.bn))
            return self.add_node(f"{name}.relu", "relu", [value]) if module.relu else value
        if isinstance(module, LinearBN):
            value = self.add_node(name, "dense", [value], None, self.folded_params(name, module.fc, module.bn))
            return self.add_node(f"{name}.relu", "relu", [value])
        if isinstance(module, QUANTIZED_LAYER_TYPES) and isinstance(module, nn.Linear):
            params = self.weight_params(name, module)
            if module.bias is not None:
                bias = module.bias.detach().float().numpy()
                params["bias"] = self.add_tensor(f"{name}.bias", "f32", [len(bias)], bias.astype("<f4").tobytes())
            return self.add_node(name, "dense", [value], None, params)
        if isinstance(module, BasicBlock):
            residual = value if module.shortcut is None else self.emit(module.shortcut, f"{name}.shortcut", value)
            main = self.emit(module.conv2, f"{name}.conv2", self.emit(module.conv1, f"{name}.conv1", value))
            added = self.add_node(f"{name}.add", "add", [main, residual])
            return self.add_node(f"{name}.relu", "relu", [added])
        if isinstance(module, nn.MaxPool2d):
            def pair(v):
                return list(v) if isinstance(v, (tuple, list)) else [v, v]
            attrs = {"kernel": pair(module.kernel_size), "stride": pair(module.stride or module.kernel_size),
                     "padding": pair(module.padding)}
            return self.add_node(name, "maxpool", [value], attrs)
        if isinstance(module, nn.AdaptiveAvgPool2d):
            if module.output_size not in (1, (1, 1)):
                raise ValueError(f"{name}: only global average pooling is exportable")
            return self.add_node(name, "global_avgpool", [value])
        if isinstance(module, nn.Flatten):
            return self.add_node(name, "flatten", [value])
        raise TypeError(f"{name}: cannot export {type(module).__name__}")


def build_graph(model: TwnNet) -> GraphBuilder:
    builder = GraphBuilder()
    last_value = builder.emit(model.body, "", INPUT_NAME)
    # The graph's result is called "logits": rename the value the last node produces.
    last_node = builder.nodes[-1]
    if last_node["outputs"] != [last_value]:
        raise ValueError("the last emitted node must produce the network output")
    last_node["outputs"] = [OUTPUT_NAME]
    return builder


def twn_bytes(model: TwnNet, metadata: dict) -> tuple[bytes, GraphBuilder]:
    model.eval()
    builder = build_graph(model)
    input_spec = {"name": INPUT_NAME, **model.input_spec}
    metadata = dict(metadata, fullPrecisionLayers=builder.full_precision_layers)
    return serialize(input_spec, builder.nodes, builder.tensor_data, metadata, [OUTPUT_NAME]), builder


class _OnnxWrapper(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model(image)


def materialized_float_model(model: TwnNet) -> TwnNet:
    """A copy whose quantized layers hold α·Wᵗ as plain float weights (mode 'float'), for ONNX export."""
    plain = copy.deepcopy(model).eval()
    with torch.no_grad():
        for module in plain.modules():
            if isinstance(module, QUANTIZED_LAYER_TYPES) and module.mode != "float":
                module.weight.copy_(module.effective_weight())
                module.mode = "float"
    return plain


def export_onnx(model: TwnNet, path: Path) -> None:
    plain = materialized_float_model(model)
    example = torch.zeros(2, *model.input_spec["shape"])
    # The TorchScript exporter (dynamo=False) needs no onnxscript; its deprecation warnings are noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(_OnnxWrapper(plain), (example,), str(path), input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], opset_version=17, dynamo=False,
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


def run_onnx(path: Path, images: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], {INPUT_NAME: images.astype(np.float32)})[0]


def file_accuracy(twn_path: Path, images_uint8: torch.Tensor, labels: torch.Tensor, batch_size: int = 500
                  ) -> float:
    """Top-1 of the written .twn file, run in float64 (twn_reader.execute)."""
    twn = read_twn(twn_path)
    correct = 0
    for start in range(0, len(labels), batch_size):
        images = images_uint8[start:start + batch_size].double() / 255.0
        logits = execute(twn, images)
        correct += int((logits.argmax(1) == labels[start:start + batch_size].numpy()).sum())
    return correct / len(labels)


def reference_json(twn_path: Path, onnx_path: Path | None, model: TwnNet, images_uint8: torch.Tensor,
                   labels: torch.Tensor, class_names: list[str]) -> dict:
    """Pixels as JSON numbers (byte/255 rounded to float32's shortest repr) and the logits of the written file in
    float64 computed from exactly those numbers (parsed as doubles, as JavaScript would)."""
    # str(np.float32) is the shortest text that reads back as that float32, e.g. 0.003921569 for byte 1.
    value_of_byte = [float(str(np.float32(byte / 255.0))) for byte in range(256)]
    pixel_text = [[value_of_byte[b] for b in image.flatten().tolist()] for image in images_uint8]
    pixels = torch.tensor(pixel_text, dtype=torch.float64).reshape(images_uint8.shape)
    logits = execute(read_twn(twn_path), pixels)
    with torch.no_grad():
        eval_logits = model.eval()(pixels.float()).double().numpy()  # training-time modules, BN unfolded, f32
    result = {
        "model": twn_path.name,
        "inputName": INPUT_NAME, "inputShape": list(images_uint8.shape),
        "pixelNote": "pixel = byte/255, written as float32 shortest repr; logits are computed from these numbers "
                     "read as float64",
        "images": pixel_text,
        "labels": labels.tolist(),
        "labelNames": [class_names[i] for i in labels.tolist()] if class_names else [],
        "logits": logits.tolist(),
        "logitsNote": "the .twn file's graph in float64 (tools/twn/twn_reader.py execute): normalize, "
                      "codes·alpha·scale + bias, ops as in FORMAT.md",
        "predictions": logits.argmax(1).tolist(),
        "pytorchEvalMaxAbsDiff": float(np.abs(eval_logits - logits).max()),
    }
    if onnx_path is not None:
        onnx_logits = run_onnx(onnx_path, pixels.numpy())
        result["onnxMaxAbsDiff"] = float(np.abs(onnx_logits - logits).max())
    return result


def export_checkpoint(checkpoint_path: Path, out_prefix: Path, data_root: Path = DEFAULT_DATA_ROOT,
                      cache_dir: Path = DEFAULT_CACHE_DIR, reference_images: int = 16, onnx: bool = True,
                      test_images: int | None = None, note: str = "", export_command: str = "",
                      calibration_images: int = CALIBRATION_IMAGES) -> dict:
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    model = load_model_from_checkpoint(checkpoint).eval()
    dataset = load_dataset(checkpoint["dataset"], data_root, cache_dir)
    test = dataset.test.first(test_images)
    args, history = checkpoint["args"], checkpoint["history"]
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    twn_path, onnx_path = out_prefix.with_suffix(".twn"), out_prefix.with_suffix(".onnx")
    reference_path = out_prefix.parent / f"{out_prefix.name}-reference.json"

    mode = model.quant.mode
    metadata = {
        "architecture": model.architecture,
        "trained": True,
        "dataset": DATASET_DISPLAY_NAMES[checkpoint["dataset"]],
        "weightMode": mode,
        "deltaRule": {"ternary": DELTA_RULE, "binary": "sign(W) (no zeros), alpha=mean|W|",
                      "float": "none"}[mode],
        "granularity": model.quant.granularity,
        "fullPrecisionLayers": [],  # filled in by twn_bytes
        "width": model.build_args.get("width", 1.0),
        "recipe": {
            "epochs": len(history), "optimizer": "sgd", "lr": args["lr"], "momentum": args["momentum"],
            "weightDecay": args["weight_decay"], "batchSize": args["batch_size"], "schedule": args["schedule"],
            "bf16": args["bf16"], "channelsLast": args["channels_last"], "subset": args["subset"],
            "augment": args["augment"], "seed": args["seed"], "command": checkpoint["command"],
            "trainSeconds": round(checkpoint["train_seconds"], 1), "hardware": checkpoint.get("hardware", ""),
            "lastEpochTestAccuracyPytorch": history[-1]["test_acc"],
            "exportCommand": export_command,
        },
        "producer": PRODUCER,
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # Written twice: the first pass only to measure the file's own accuracy, which then goes into the metadata.
    blob, builder = twn_bytes(model, metadata)
    twn_path.write_bytes(blob)
    top1 = file_accuracy(twn_path, test.images, test.labels)
    accuracy_note = "the .twn file run in float64 on the test split; last training epoch, not the best"
    metadata["accuracy"] = {"top1": top1, "split": "test", "images": len(test),
                            "note": f"{accuracy_note}{'; ' + note if note else ''}"}
    blob, builder = twn_bytes(model, metadata)
    if ternary_layers(read_twn(blob)):
        # int16 ranges and accuracy come from the written file too (tools/twn/calibrate.py, FORMAT.md §7.1).
        metadata["int16"] = choose_int16(read_twn(blob), dataset.train, test, metadata["dataset"], top1,
                                         calibration_images)
        blob, builder = twn_bytes(model, metadata)
    twn_path.write_bytes(blob)

    if onnx:
        export_onnx(model, onnx_path)
    count = min(reference_images, len(test))
    reference = reference_json(twn_path, onnx_path if onnx else None, model, test.images[:count],
                               test.labels[:count], dataset.class_names)
    reference_path.write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    return {"twn": str(twn_path), "onnx": str(onnx_path) if onnx else None, "reference": str(reference_path),
            "top1": top1, "images": len(test), "twnBytes": len(blob),
            "onnxBytes": onnx_path.stat().st_size if onnx else None, "layers": builder.layer_stats,
            "metadata": read_twn(twn_path).metadata,
            "onnxMaxAbsDiff": reference.get("onnxMaxAbsDiff"),
            "pytorchEvalMaxAbsDiff": reference["pytorchEvalMaxAbsDiff"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output prefix, e.g. demo/models/lenet5-twn")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--reference-images", type=int, default=16)
    parser.add_argument("--test-images", type=int, default=None, help="evaluate on the first N only")
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--note", default="", help="appended to metadata.accuracy.note")
    parser.add_argument("--summary", type=Path, default=None, help="also write the export summary JSON here")
    args = parser.parse_args(argv)
    summary = export_checkpoint(args.checkpoint, args.out, args.data_root, args.cache_dir, args.reference_images,
                                not args.no_onnx, args.test_images, args.note,
                                export_command=f"python -m tools.twn.export {shlex.join(sys.argv[1:] if argv is None else argv)}")
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("layers", "metadata")}, indent=1))


if __name__ == "__main__":
    main()

