"""JUnit XML: one test case per message (class name = use case, name = source), a failure per
error finding, warnings and notes in system-out. Read by CI systems as test results.

Records are dicts with `source` and `findings` (Finding.to_dict()); `classname` or `use_case`
names the class. Test cases are spooled (not held in memory) until the counts the suite
element carries are known; the document is closed whatever fails midway.
"""
from __future__ import annotations

import tempfile
from typing import Iterable, TextIO

from gbcs.io.escape import xml_text
from gbcs.io.records import Result, record_of
from gbcs.io.text import hex_offset

SPOOL_IN_MEMORY = 1 << 20


def _testcase(record: dict, fail_on: tuple[str, ...]) -> tuple[str, int, int]:
    """(XML of one test case, its failures, its errors)."""
    classname = record.get("classname") or record.get("use_case") or record.get("kind") or "gbcs"
    parts = [f'    <testcase classname="{xml_text(classname)}" name="{xml_text(record.get("source", "?"))}" time="0">\n']
    failures = errors = 0
    notes = []
    for f in record.get("findings") or ():
        where = f" at {hex_offset(f['offset'])}" if f.get("offset") is not None else ""
        field_ = f" in {f['field']}" if f.get("field") else ""
        text = f"{f['rule']}{where}{field_}: {f['message']}"
        if f.get("reference"):
            text += f" (see {f['reference']})"
        if f["severity"] in fail_on:
            failures += 1
            parts.append(f'      <failure type="{xml_text(f["rule"])}" message="{xml_text(f["message"])}">'
                         f'{xml_text(text)}</failure>\n')
        else:
            notes.append(f"{f['severity'].upper()} {text}")
    if not record.get("findings") and record.get("error"):
        # an input or decode error that no finding carries
        errors += 1
        message = record["error"].get("message", "error")
        parts.append(f'      <error type="{xml_text(record["error"].get("type", "error"))}" '
                     f'message="{xml_text(message)}">{xml_text(message)}</error>\n')
    for key in ("status", "signature", "mac", "decryption"):
        if record.get(key) is not None:
            notes.insert(0, f"{key}: {record[key]}")
    if notes:
        parts.append(f"      <system-out>{xml_text(chr(10).join(notes))}</system-out>\n")
    parts.append("    </testcase>\n")
    return "".join(parts), failures, errors


def write_junit(items: Iterable[Result | dict], out: TextIO, suite: str = "gbcs validate",
                fail_on: tuple[str, ...] = ("error",)) -> None:
    """The JUnit document; findings of the `fail_on` severities are failures, others notes."""
    tests = failures = errors = 0
    with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, mode="w+", encoding="utf-8") as spool:
        stopped = True
        try:
            for item in items:
                xml, f, e = _testcase(record_of(item, with_tree=False), fail_on)
                spool.write(xml)
                tests, failures, errors = tests + 1, failures + (f > 0), errors + (e > 0)
            stopped = False
        finally:
            if stopped:        # the run failed midway: say so in a well-formed document
                errors += 1
                tests += 1
                spool.write(f'    <testcase classname="gbcs" name="run stopped early" time="0">\n'
                            f'      <error type="stopped" message="the run stopped after {tests - 1} '
                            f'message(s); see the error on standard error"/>\n    </testcase>\n')
            counts = f'tests="{tests}" failures="{failures}" errors="{errors}"'
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write(f'<testsuites name="{xml_text(suite)}" {counts}>\n')
            out.write(f'  <testsuite name="{xml_text(suite)}" {counts} skipped="0" time="0">\n')
            spool.seek(0)
            while chunk := spool.read(SPOOL_IN_MEMORY):
                out.write(chunk)
            out.write("  </testsuite>\n</testsuites>\n")
