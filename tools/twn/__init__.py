"""Ternary Weight Networks: training and .twn export (see docs/FORMAT.md)."""
