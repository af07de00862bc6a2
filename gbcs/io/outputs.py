"""The output formats, by name. Each writer takes an iterable of records (decode Results or
dicts with `source` and `findings`) and a text stream, and leaves a complete document behind
whatever fails midway.

    text   gbcs.io.text     an indented tree, findings, a run summary (escaped, hex offsets)
    json   gbcs.io.jsonout  one array, trees streamed     jsonl: one object per line
    junit  gbcs.io.junit    JUnit XML, a test case per message
    sarif  gbcs.io.sarif    SARIF 2.1.0, a result per finding
"""
from __future__ import annotations

from gbcs.io.jsonout import write_json, write_jsonl
from gbcs.io.junit import write_junit
from gbcs.io.records import Result, Tree, error_dict, record_of, result_record
from gbcs.io.sarif import write_sarif
from gbcs.io.text import headline, render_tree, write_text

WRITERS = {"text": write_text, "json": write_json, "jsonl": write_jsonl, "junit": write_junit,
           "sarif": write_sarif}

__all__ = ["WRITERS", "Result", "Tree", "error_dict", "headline", "record_of", "render_tree", "result_record",
           "write_json", "write_jsonl", "write_junit", "write_sarif", "write_text"]
