"""FORMAT.md §1 canonical form: the exporter writes the header as JavaScript's JSON.stringify does, so the shipped
files are byte for byte what both writers produce (test/format/shipped-roundtrip.test.ts checks the TypeScript one)."""

from pathlib import Path

import pytest

from tools.twn.canonical import canonical_bytes, canonical_json, js_number
from tools.twn.twn_reader import TwnReadError, read_twn

MODELS_DIR = Path(__file__).resolve().parents[2] / "demo" / "models"
SHIPPED = sorted(MODELS_DIR.glob("*.twn"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_file_is_canonical(path):
    blob = path.read_bytes()
    assert canonical_bytes(blob) == blob


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1"), (2.5, "2.5"), (-0.0, "0"), (100.0, "100"), (0.1307, "0.1307"), (1e-05, "0.00001"),
    (1e-06, "0.000001"), (1e-07, "1e-7"), (1.2345e-06, "0.0000012345"), (1e20, "100000000000000000000"),
    (1e21, "1e+21"), (1.5e300, "1.5e+300"), (5e-324, "5e-324"), (0.1 + 0.2, "0.30000000000000004"), (7, "7"),
    (2**60, "1152921504606847000"), (-3.25, "-3.25"),
])
def test_numbers_as_javascript_writes_them(value, text):
    # Expected strings are JSON.stringify(value) in Node 20.
    assert js_number(value) == text


def test_strings_objects_and_arrays_as_javascript_writes_them():
    value = {"a\"b": ["\\", "\n\t\b\f\r", "\u0001", "é\u2028", "\ud800"], "k": [True, False, None, {}]}
    assert canonical_json(value) == '{"a\\"b":["\\\\","\\n\\t\\b\\f\\r","\\u0001","é\u2028","\\ud800"],' \
        '"k":[true,false,null,{}]}'


def test_duplicate_keys_are_rejected():
    blob = SHIPPED[0].read_bytes()
    header_length = int.from_bytes(blob[8:12], "little")
    header = blob[16:16 + header_length]
    doubled = header.replace(b'"dataCrc32":', b'"dataCrc32":0,"dataCrc32":', 1)[:header_length]
    assert len(doubled) == header_length  # the padding absorbed the extra bytes
    with pytest.raises(TwnReadError, match="DUPLICATE_KEY"):
        read_twn(blob[:16] + doubled + blob[16 + header_length:])
