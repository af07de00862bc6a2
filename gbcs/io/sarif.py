"""A minimal SARIF 2.1.0 writer: one run, the tool's rules from the registry, one result per finding.

Records are dicts with `source` and `findings` (Finding.to_dict()). Kept small so it can be
reconciled with the validate command's SARIF output.
"""
from __future__ import annotations

import json
from typing import Iterable, TextIO

from gbcs import __version__

_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_log(records: Iterable[dict], rule_ids: Iterable[str] | None = None) -> dict:
    from gbcs.rules import rules
    records = list(records)
    used = sorted({f["rule"] for r in records for f in r.get("findings", ())} | set(rule_ids or ()))
    declared = rules()
    descriptors = [{"id": rid, "name": declared[rid].name,
                    "shortDescription": {"text": declared[rid].summary},
                    "defaultConfiguration": {"level": _LEVELS[declared[rid].severity]},
                    "properties": {"topic": declared[rid].topic, "reference": declared[rid].reference}}
                   for rid in used if rid in declared]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for record in records:
        for f in record.get("findings", ()):
            location = {"physicalLocation": {"artifactLocation": {"uri": record.get("source") or "-"}}}
            if f.get("offset") is not None:
                location["physicalLocation"]["region"] = {"byteOffset": f["offset"]}
            if f.get("field"):
                location["logicalLocations"] = [{"fullyQualifiedName": f["field"]}]
            results.append({"ruleId": f["rule"], "ruleIndex": index.get(f["rule"], -1),
                            "level": _LEVELS.get(f["severity"], "warning"),
                            "message": {"text": f["message"]}, "locations": [location]})
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "gbcs", "version": __version__,
                                          "rules": descriptors}},
                      "results": results}]}


def write_sarif(records: Iterable[dict], out: TextIO) -> None:
    json.dump(sarif_log(records), out, indent=2)
    out.write("\n")
