"""Inputs (files, stdin, DUIS XML -> message bytes) and outputs (text, JSON)."""
