"""Inputs and outputs.

inputs.py reads files, folders, stdin and DUIS XML into message bytes; records.py is what every
writer writes (one record per message); the writers are text.py, jsonout.py (json, jsonl),
junit.py and sarif.py, named by format in outputs.py; escape.py is the one escaping function
text and XML output use for everything they did not write themselves.
"""
