"""Seams over the external tools airhost runs (one module each, with its own errors)."""
