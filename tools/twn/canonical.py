"""The canonical header JSON of docs/FORMAT.md §1: the text JavaScript's JSON.stringify writes for the same value.

Python's json.dumps differs in numbers (2.0 vs 2, 1e-05 vs 0.00001) and in escaping, so both writers only produce the
same bytes when the exporter serialises through here.
"""

from __future__ import annotations

import math

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
