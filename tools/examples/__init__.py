"""Examples of training-side code that produces models for twn (see tools/README.md)."""
