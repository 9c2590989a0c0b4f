"""int16 calibration of a .twn file (docs/FORMAT.md §7.1): activation ranges per ternary layer, the exact simulation
of the integer arithmetic on the test set, and the file re-written with `metadata.int16`.
"""

from __future__ import annotations

from .export import serialize
from .twn_reader import read_twn


def with_int16(blob: bytes, int16: dict | None) -> bytes:
    """The file re-written canonically with `metadata.int16` set (or removed for None): tensors and data unchanged."""
    twn = read_twn(blob)
    header = twn.header
    metadata = {key: value for key, value in header["metadata"].items() if key != "int16"}
    if int16 is not None:
        metadata["int16"] = int16
    data = blob[twn.data_offset:]
    entries = sorted(header["tensors"].items(), key=lambda item: item[1]["offset"])
    tensor_data = {name: (e["dtype"], e["shape"], data[e["offset"]:e["offset"] + e["length"]]) for name, e in entries}
    return serialize(header["input"], header["nodes"], tensor_data, metadata, header["outputs"])
