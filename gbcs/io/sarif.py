"""SARIF 2.1.0 (OASIS): a result per finding, for code-scanning tools.

Each result carries ruleId, level, message and a location whose artifact is the input file and
whose region is the finding's byte offset in the message; the rules reported are described in
tool.driver.rules. Records are dicts with `source` and `findings` (Finding.to_dict()), and
optionally `artifact` (the file; otherwise taken from `source`). Results are streamed; the
rules and the invocation (successful or not) are written after them, so the document is
complete whatever fails midway.
"""
from __future__ import annotations

import re
from typing import Iterable, TextIO
from urllib.parse import quote

from gbcs.io.jsonout import Buffered, iter_json
from gbcs.io.records import Result, record_of

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_MESSAGE_SUFFIX = re.compile(r":\d+(?:\.\.\d+)?$")     # file:N, and file:N..M for joined GBT blocks


def artifact_of(source: str) -> str:
    """The input file a record's source names (without the message number inside the file)."""
    return _MESSAGE_SUFFIX.sub("", source)


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/:@-._~!$&'()*+,;=")


def _results(record: dict) -> list[dict]:
    uri = _uri(record.get("artifact") or artifact_of(record.get("source", "")))
    out = []
    for f in record.get("findings") or ():
        location: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
        if f.get("offset") is not None:
            location["physicalLocation"]["region"] = {"byteOffset": f["offset"]}
        if f.get("field"):                          # the field of the decoded tree, as a dotted path
            location["logicalLocations"] = [{"fullyQualifiedName": f["field"], "kind": "member"}]
        properties = {"source": record.get("source"), "topic": f.get("topic")}
        if f.get("field"):
            properties["field"] = f["field"]
        out.append({"ruleId": f["rule"], "level": LEVELS.get(f["severity"], "none"),
                    "message": {"text": f["message"]}, "locations": [location], "properties": properties})
    return out


def _rule(rule_id: str, severity: str) -> dict:
    from gbcs.rules import rules
    r = rules().get(rule_id)
    if r is None:
        return {"id": rule_id, "defaultConfiguration": {"level": LEVELS.get(severity, "none")}}
    out = {"id": r.id, "name": r.name, "shortDescription": {"text": r.summary},
           "defaultConfiguration": {"level": LEVELS[r.severity]}, "properties": {"topic": r.topic}}
    if r.reference:
        out["fullDescription"] = {"text": f"{r.summary} ({r.reference})"}
        out["properties"]["reference"] = r.reference
    return out


def write_sarif(items: Iterable[Result | dict], out: TextIO, tool: str = "gbcs") -> None:
    from gbcs import __version__
    buf = Buffered(out)
    seen: dict[str, str] = {}
    buf.write(f'{{\n  "$schema": "{SCHEMA}",\n  "version": "2.1.0",\n  "runs": [\n    {{\n      "results": [')
    first, failure = True, None
    try:
        for item in items:
            for result in _results(record_of(item, with_tree=False)):
                seen.setdefault(result["ruleId"], result["level"])
                buf.write(("" if first else ",") + "\n        ")
                first = False
                for piece in iter_json(result):
                    buf.write(piece)
    except BaseException as exc:
        failure = exc
        raise
    finally:
        buf.write("\n      ],\n      ")
        severity = {v: k for k, v in LEVELS.items()}
        run = {"tool": {"driver": {"name": tool, "version": __version__,
                                   "rules": [_rule(r, severity.get(level, "error")) for r, level in seen.items()]}},
               "invocations": [{"executionSuccessful": failure is None}]}
        if failure is not None:
            run["invocations"][0]["toolExecutionNotifications"] = [
                {"level": "error", "message": {"text": f"the run stopped early: {type(failure).__name__}: {failure}"}}]
        for i, (key, value) in enumerate(run.items()):
            buf.write((",\n      " if i else "") + iter_json_text(key) + ": ")
            for piece in iter_json(value, indent=2, level=3):
                buf.write(piece)
        buf.write("\n    }\n  ]\n}\n")
        buf.flush()


def iter_json_text(value) -> str:
    return "".join(iter_json(value))
