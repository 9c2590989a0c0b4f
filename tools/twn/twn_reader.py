"""Read a .twn file (docs/FORMAT.md) back into numpy arrays, and run its graph in float64.

Used by the round-trip tests and by the exporter itself: the accuracy and the reference logits written next to a
model are computed from the bytes of the written file, through `execute`, not from the training-time model.

    python -m tools.twn.twn_reader demo/models/lenet5-twn.twn   # prints a summary
"""

from __future__ import annotations

import itertools
import json
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

MAGIC = b"TWN!"
FORMAT_VERSION = 1
PREAMBLE_BYTES = 16
DATA_ALIGNMENT = 64
MAX_HEADER_BYTES = 16 * 1024 * 1024
CODE_TO_VALUE = np.array([0, 1, -1], dtype=np.int8)  # 2-bit code 0 → 0, 1 → +1, 2 → −1 (3 is invalid)


class TwnReadError(ValueError):
    pass


@dataclass
class TwnFile:
    header: dict
    tensors: dict[str, np.ndarray]  # ternary2 → int8 values in {-1, 0, 1} with the tensor's shape; f32 → float32
    dtypes: dict[str, str]
    data_offset: int

    @property
    def metadata(self) -> dict:
        return self.header.get("metadata", {})


def unpack_ternary2(words: np.ndarray, shape: list[int]) -> np.ndarray:
    """Inverse of export.pack_ternary2: [O · ⌈K/16⌉] u32 → int8 values with `shape`."""
    rows, row_length = shape[0], int(np.prod(shape[1:]))
    words_per_row = -(-row_length // 16)
    words = words.reshape(rows, words_per_row)
    shifts = (2 * np.arange(16, dtype=np.uint32))
    codes = ((words[:, :, None] >> shifts[None, None, :]) & 3).reshape(rows, words_per_row * 16)
    if (codes == 3).any():
        raise TwnReadError("INVALID_TERNARY_CODE: code 3")
    if (codes[:, row_length:] != 0).any():
        raise TwnReadError("INVALID_TERNARY_CODE: non-zero padding code at the end of a row")
    return CODE_TO_VALUE[codes[:, :row_length]].reshape(shape)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """FORMAT.md §1: a key twice in one object is DUPLICATE_KEY (json.loads would keep the last silently)."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise TwnReadError(f"DUPLICATE_KEY {next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


def read_twn(source: str | Path | bytes) -> TwnFile:
    blob = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(blob) < PREAMBLE_BYTES:
        raise TwnReadError("TRUNCATED")
    magic, version, header_length, reserved = struct.unpack_from("<4sIII", blob, 0)
    if magic != MAGIC:
        raise TwnReadError("BAD_MAGIC")
    if version != FORMAT_VERSION:
        raise TwnReadError(f"UNSUPPORTED_VERSION {version}")
    if not 2 <= header_length <= MAX_HEADER_BYTES:
        raise TwnReadError("BAD_HEADER_LENGTH")
    if reserved != 0:
        raise TwnReadError("RESERVED_NONZERO")
    header_end = PREAMBLE_BYTES + header_length
    data_offset = -(-header_end // DATA_ALIGNMENT) * DATA_ALIGNMENT
    if len(blob) < data_offset:
        raise TwnReadError("TRUNCATED")
    if any(blob[header_end:data_offset]):
        raise TwnReadError("RESERVED_NONZERO: alignment padding")
    header = json.loads(blob[PREAMBLE_BYTES:header_end].decode("utf-8"), object_pairs_hook=_object_without_duplicates)
    data = blob[data_offset:]
    if len(data) != header["dataLength"]:
        raise TwnReadError("DATA_LENGTH_MISMATCH")
    if zlib.crc32(data) != header["dataCrc32"]:
        raise TwnReadError("CHECKSUM_MISMATCH")

    tensors, dtypes = {}, {}
    for name, entry in header["tensors"].items():
        shape, offset, length = entry["shape"], entry["offset"], entry["length"]
        if offset % 4:
            raise TwnReadError(f"TENSOR_MISALIGNED {name}")
        if offset + length > len(data):
            raise TwnReadError(f"TENSOR_OUT_OF_BOUNDS {name}")
        if entry["dtype"] == "f32":
            if length != 4 * int(np.prod(shape)):
                raise TwnReadError(f"TENSOR_SIZE_MISMATCH {name}")
            values = np.frombuffer(data, dtype="<f4", count=length // 4, offset=offset).reshape(shape)
            if not np.isfinite(values).all():
                raise TwnReadError(f"NON_FINITE_VALUE {name}")
            tensors[name] = values.astype(np.float32)
        elif entry["dtype"] == "ternary2":
            words_per_row = -(-int(np.prod(shape[1:])) // 16)
            if length != shape[0] * words_per_row * 4:
                raise TwnReadError(f"TENSOR_SIZE_MISMATCH {name}")
            words = np.frombuffer(data, dtype="<u4", count=length // 4, offset=offset)
            tensors[name] = unpack_ternary2(words.astype(np.uint32), shape)
        else:
            raise TwnReadError(f"UNSUPPORTED_DTYPE {entry['dtype']}")
        dtypes[name] = entry["dtype"]
    ranges = sorted((e["offset"], e["offset"] + e["length"]) for e in header["tensors"].values())
    if any(start < previous_end for (_, previous_end), (start, _) in itertools.pairwise(ranges)):
        raise TwnReadError("TENSOR_OVERLAP")
    twn = TwnFile(header, tensors, dtypes, data_offset)
    int16_calibration(twn)
    return twn


INT16_BITS = range(2, 16)
INT16_RANGE = (1e-30, 1e30)  # keeps s = qmax / r and r / qmax normal float32 numbers (FORMAT.md §7.1)


def is_ternary_layer(twn: TwnFile, node: dict) -> bool:
    """A conv2d/dense with a ternary2 weight (binary weights are stored so too): the layers int16 covers."""
    weight = node.get("params", {}).get("weight")
    return node["op"] in ("conv2d", "dense") and twn.dtypes.get(weight) == "ternary2"


def int16_calibration(twn: TwnFile) -> dict | None:
    """metadata.int16 checked as FORMAT.md §7.1 says (types, ranges, named nodes), or None when the file has none."""
    int16 = twn.metadata.get("int16")
    if int16 is None:
        return None

    def fail(code: str, where: str, message: str) -> None:
        raise TwnReadError(f"{code} at $.metadata.int16{where}: {message}")

    def is_count(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()

    if not isinstance(int16, dict):
        fail("SCHEMA", "", "expected an object")
    for key in int16.keys() - {"bits", "inputRanges", "calibration", "accuracy"}:
        fail("SCHEMA", f".{key}", "unknown key")
    bits = int16.get("bits")
    if not is_count(bits) or int(bits) not in INT16_BITS:
        fail("SCHEMA", ".bits", f"expected an integer in 2…15, got {bits!r}")
    ranges = int16.get("inputRanges")
    if not isinstance(ranges, dict):
        fail("SCHEMA", ".inputRanges", "expected an object")
    layers = {node["name"]: node for node in twn.header["nodes"]}
    for name, r in ranges.items():
        if isinstance(r, bool) or not isinstance(r, int | float) or not INT16_RANGE[0] <= r <= INT16_RANGE[1]:
            fail("SCHEMA", f".inputRanges[{name!r}]", f"expected a number in 1e-30…1e30, got {r!r}")
        if name not in layers or not is_ternary_layer(twn, layers[name]):
            fail("BAD_CALIBRATION", f".inputRanges[{name!r}]", "not a ternary conv2d/dense node")
    for key in ("calibration", "accuracy"):
        if key in int16 and not isinstance(int16[key], dict):
            fail("SCHEMA", f".{key}", "expected an object")
    top1 = int16.get("accuracy", {}).get("top1", 0)
    if isinstance(top1, bool) or not isinstance(top1, int | float) or not 0 <= top1 <= 1:
        fail("SCHEMA", ".accuracy.top1", f"expected a fraction in [0, 1], got {top1!r}")
    return {**int16, "bits": int(bits), "qmax": 2 ** (int(bits) - 1) - 1}


def _topological_order(nodes: list[dict], input_name: str) -> list[dict]:
    available, ordered, pending = {input_name}, [], list(nodes)
    while pending:
        ready = [node for node in pending if all(value in available for value in node["inputs"])]
        if not ready:
            raise TwnReadError("CYCLE or UNDEFINED_INPUT")
        for node in ready:
            ordered.append(node)
            available.update(node["outputs"])
            pending.remove(node)
    return ordered


def _pair(attrs: dict, key: str, default: list[int]) -> tuple[int, int]:
    return tuple(attrs.get(key, default))


LayerInput = Callable[[str, torch.Tensor], tuple[torch.Tensor, float]]


def execute(twn: TwnFile, images: np.ndarray | torch.Tensor, layer_input: LayerInput | None = None) -> np.ndarray:
    """Runs the graph on [N, C, H, W] pixels in [0, 1], in float64, exactly as FORMAT.md §4 defines each op:
    normalize, then e.g. conv2d: y[n,o] = act(scale[o]·alpha[o]·Σ w·x + bias[o]). Returns the first output.

    `layer_input(name, x)`, when given, sees the input of every ternary conv2d/dense and returns what the layer sums
    instead, with a factor for the sum: (x, 1) leaves the layer as it is; (codes q, r/qmax) is the int16 arithmetic
    of FORMAT.md §7.1, whose sum Σ ±q is an exact integer in float64."""
    spec = twn.header["input"]
    x = torch.as_tensor(np.asarray(images), dtype=torch.float64)
    mean = torch.tensor(spec["mean"], dtype=torch.float64).reshape(1, -1, 1, 1)
    std = torch.tensor(spec["std"], dtype=torch.float64).reshape(1, -1, 1, 1)
    values = {spec["name"]: (x - mean) / std}

    def param(node: dict, role: str) -> torch.Tensor | None:
        name = node.get("params", {}).get(role)
        return None if name is None else torch.from_numpy(twn.tensors[name].astype(np.float64))

    def affine(node: dict, summed: torch.Tensor) -> torch.Tensor:
        """scale·alpha·Σ + bias per output channel (dim 1), then the optional fused activation."""
        per_channel = (-1,) + (1,) * (summed.dim() - 2)
        for role in ("alpha", "scale"):
            factor = param(node, role)
            if factor is not None:
                summed = summed * factor.reshape(per_channel)
        bias = param(node, "bias")
        if bias is not None:
            summed = summed + bias.reshape(per_channel)
        return torch.relu(summed) if node.get("attrs", {}).get("activation", "none") == "relu" else summed

    for node in _topological_order(twn.header["nodes"], spec["name"]):
        op, attrs = node["op"], node.get("attrs", {})
        inputs = [values[name] for name in node["inputs"]]
        if op in ("conv2d", "dense"):
            x, factor = inputs[0], 1.0
            if layer_input is not None and is_ternary_layer(twn, node):
                x, factor = layer_input(node["name"], x)
            if op == "conv2d":
                summed = F.conv2d(x, param(node, "weight"), stride=_pair(attrs, "stride", [1, 1]),
                                  padding=_pair(attrs, "padding", [0, 0]))
            else:
                summed = x @ param(node, "weight").T
            result = affine(node, summed * factor)
        elif op == "batchnorm":
            per_channel = (-1,) + (1,) * (inputs[0].dim() - 2)
            gamma, beta, mean_, var = (param(node, r).reshape(per_channel) for r in ("gamma", "beta", "mean", "var"))
            result = (inputs[0] - mean_) / torch.sqrt(var + attrs.get("epsilon", 1e-5)) * gamma + beta
        elif op == "relu":
            result = torch.relu(inputs[0])
        elif op == "maxpool":
            result = F.max_pool2d(inputs[0], _pair(attrs, "kernel", None), _pair(attrs, "stride", attrs["kernel"]),
                                  _pair(attrs, "padding", [0, 0]))
        elif op == "avgpool":
            result = F.avg_pool2d(inputs[0], _pair(attrs, "kernel", None), _pair(attrs, "stride", attrs["kernel"]),
                                  _pair(attrs, "padding", [0, 0]), count_include_pad=False)
        elif op == "global_avgpool":
            result = inputs[0].mean(dim=(2, 3), keepdim=True)
        elif op == "add":
            result = inputs[0] + inputs[1]
            if attrs.get("activation", "none") == "relu":
                result = torch.relu(result)
        elif op == "flatten":
            result = inputs[0].flatten(1)
        elif op == "softmax":
            result = torch.softmax(inputs[0], dim=1)
        else:
            raise TwnReadError(f"UNKNOWN_OP {op}")
        values[node["outputs"][0]] = result
    return values[twn.header["outputs"][0]].numpy()


def summary(twn: TwnFile) -> str:
    lines = [(f"input {twn.header['input']['name']} {twn.header['input']['shape']}, "
              f"{len(twn.header['nodes'])} nodes, {len(twn.tensors)} tensors, data {twn.header['dataLength']} B")]
    for node in twn.header["nodes"]:
        weight = node.get("params", {}).get("weight")
        if weight is None:
            lines.append(f"  {node['name']:24s} {node['op']}")
            continue
        values = twn.tensors[weight]
        detail = f"{twn.dtypes[weight]} {list(values.shape)}"
        if twn.dtypes[weight] == "ternary2":
            alpha = twn.tensors[node["params"]["alpha"]]
            detail += f" zeros {np.mean(values == 0):.3f} alpha mean {alpha.mean():.5f}"
        lines.append(f"  {node['name']:24s} {node['op']:8s} {detail}")
    lines.append(json.dumps(twn.metadata, indent=1))
    return "\n".join(lines)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(path)
        print(summary(read_twn(path)))
