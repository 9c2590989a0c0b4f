"""The canonical form of docs/FORMAT.md §1.1: the header JSON as JavaScript's JSON.stringify writes it, and the file
laid out around it (`serialize`), byte for byte what the TypeScript writer produces.

Python's json.dumps differs in numbers (2.0 vs 2, 1e-05 vs 0.00001) and in escaping, so both writers only produce the
same bytes when the exporter serialises through here.
"""

from __future__ import annotations

import math
import struct
import zlib

from .twn_reader import DATA_ALIGNMENT, FORMAT_VERSION, MAGIC, PREAMBLE_BYTES, read_twn

INPUT_KEYS = ("name", "shape", "colorLayout", "mean", "std", "labels")  # the order both writers use

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def js_number(value: float) -> str:
    """ECMAScript Number::toString: the shortest round-trip digits, exponent only below 1e-6 or from 1e21 on."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        value = float(value) if abs(value) >= 2**53 else value
        if isinstance(value, int):
            return str(value)
    if not math.isfinite(value):
        raise ValueError(f"JSON has no {value}")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    # value = 0.digits × 10^n: the decimal point sits after n digits.
    n = len(whole) - (len(whole + fraction) - len(significant)) + int(exponent or 0)
    digits = significant.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def _js_string(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def canonical_json(value) -> str:
    """JSON.stringify(value) for dicts (in their key order), lists, strings, numbers, booleans and None."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_js_string(str(k))}:{canonical_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if hasattr(value, "item"):  # numpy scalars
        return canonical_json(value.item())
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def serialize(input_spec: dict, nodes: list[dict], tensor_data: dict, metadata: dict, outputs: list[str]) -> bytes:
    """FORMAT.md §1 in its canonical form, byte for byte what the TypeScript writer produces for the same content:
    magic, version, H, reserved, the header as JSON.stringify writes it (keys in a fixed order, no whitespace) padded
    with spaces so 16 + H ≡ 0 (mod 64), then the tensors in table order, each at the next multiple of 64."""
    tensors, chunks, offset = {}, [], 0
    for name, (dtype, shape, payload) in tensor_data.items():
        aligned = -(-offset // DATA_ALIGNMENT) * DATA_ALIGNMENT
        chunks.append(b"\0" * (aligned - offset))
        chunks.append(payload)
        tensors[name] = {"dtype": dtype, "shape": list(shape), "offset": aligned, "length": len(payload)}
        offset = aligned + len(payload)
    data = b"".join(chunks)
    header = {
        "input": {key: input_spec[key] for key in INPUT_KEYS},
        "outputs": outputs,
        "nodes": [{"name": node["name"], "op": node["op"], "inputs": node["inputs"], "outputs": node["outputs"],
                   "attrs": node.get("attrs", {}), "params": node.get("params", {})} for node in nodes],
        "tensors": tensors,
        "dataLength": len(data),
        "dataCrc32": zlib.crc32(data) & 0xFFFFFFFF,
        "metadata": metadata,
    }
    header_bytes = canonical_json(header).encode("utf-8")
    header_bytes += b" " * ((-(PREAMBLE_BYTES + len(header_bytes))) % DATA_ALIGNMENT)
    preamble = MAGIC + struct.pack("<III", FORMAT_VERSION, len(header_bytes), 0)
    return preamble + header_bytes + data


def canonical_bytes(blob: bytes, metadata: dict | None = None) -> bytes:
    """A valid file re-written in canonical form (FORMAT.md §1): same content, tensors in offset order; with
    `metadata` given, that replaces the file's own (the data section stays byte for byte the same)."""
    twn = read_twn(blob)
    header = twn.header
    data = blob[twn.data_offset:]
    entries = sorted(header["tensors"].items(), key=lambda item: item[1]["offset"])
    tensor_data = {name: (e["dtype"], e["shape"], data[e["offset"]:e["offset"] + e["length"]]) for name, e in entries}
    metadata = header["metadata"] if metadata is None else metadata
    return serialize(header["input"], header["nodes"], tensor_data, metadata, header["outputs"])
