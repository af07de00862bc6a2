"""Validate DUIS documents: hardened parse, schema, structure, signature, counters -> records.

Order matters (duis-notes §11): a document the parser refuses gets no further; a schema-invalid
one gets no signature work (its signature is reported `unchecked`).
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from gbcs.crypto.keystore import Keystore
from gbcs.duis.checks import structure_findings
from gbcs.duis.crosscheck import cross_check
from gbcs.duis.document import DuisDocument, eui_text, read_document
from gbcs.duis.parsing import MAX_DOCUMENT_BYTES
from gbcs.duis.schema import DuisSchema
from gbcs.duis.signature import verify
from gbcs.errors import DuisXmlRefused
from gbcs.findings import Finding, finding

XML_SUFFIXES = (".xml",)


@dataclass
class DuisResult:
    source: str
    kind: str | None = None
    service_reference_variant: str | None = None
    request_id: str | None = None
    schema: str = "unchecked"            # valid | invalid | unchecked
    signature: str = "unchecked"         # valid | invalid | absent | no-key | unchecked
    signer: str | None = None
    signer_role: int | None = None
    findings: list[Finding] = field(default_factory=list)
    document: DuisDocument | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def failed(self, strict: bool = False) -> bool:
        """An error finding, or under `strict` any warning too."""
        bad = ("error", "warning") if strict else ("error",)
        return any(f.severity in bad for f in self.findings)

    def status(self, strict: bool = False) -> str:
        """failed; verified (schema and signature both checked and valid); else unverified."""
        if self.failed(strict):
            return "failed"
        return "verified" if self.schema == "valid" and self.signature == "valid" else "unverified"

    def to_dict(self, strict: bool = False) -> dict:
        return {"source": self.source, "status": self.status(strict), "kind": self.kind,
                "service_reference_variant": self.service_reference_variant, "request_id": self.request_id,
                "schema": self.schema, "signature": self.signature, "signer": self.signer,
                "signer_role": f"{self.signer_role:02X}" if self.signer_role is not None else None,
                "findings": [f.to_dict() for f in self.findings]}


def validate_document(data: bytes, source: str = "input", *, schema: DuisSchema | None = None,
                      keystore: Keystore | None = None, user_roles: dict[bytes, set[str]] | None = None,
                      now: _dt.datetime | None = None, dcc_eui: bytes | None = None) -> DuisResult:
    result = DuisResult(source)
    try:
        doc = read_document(data, source)
    except DuisXmlRefused as exc:
        result.findings.append(finding("GBCS-U001", exc.message))
        return result
    result.document = doc
    result.kind = doc.kind
    result.service_reference_variant = doc.service_reference_variant
    result.request_id = doc.request_id_text
    if schema is not None:
        issues = schema.issues(doc.tree)
        result.schema = "invalid" if issues else "valid"
        for issue in issues:
            where = f"line {issue.line}: " if issue.line else ""
            result.findings.append(finding("GBCS-U002", where + issue.message, field=issue.path))
    result.findings.extend(structure_findings(doc, dcc_eui=dcc_eui))
    if doc.kind == "Request":            # a signed pre-command must carry this request's parties and counter
        result.findings.extend(cross_check(doc, []))
    if result.schema == "invalid":
        return result                     # no signature work on a schema-invalid document
    sig = verify(doc, keystore, user_roles=user_roles, now=now, dcc_eui=dcc_eui)
    result.signature, result.signer, result.signer_role = sig.status, sig.signer, sig.role
    result.findings.extend(sig.findings)
    return result


def read_sources(paths: Iterable[str], stdin: BinaryIO | None = None,
                 max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(source, bytes, None) per document, or (source, None, error); folders give their *.xml files."""
    for path in paths:
        if path == "-":
            stream = stdin or sys.stdin.buffer
            data = stream.read(max_bytes + 1)
            yield ("<stdin>", data, None) if len(data) <= max_bytes else \
                ("<stdin>", None, f"over the {max_bytes}-byte limit for a DUIS document")
            continue
        p = Path(path)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in XML_SUFFIXES)
            if not files:
                yield path, None, "the folder holds no .xml files"
            for f in files:
                yield _read(f, max_bytes)
        else:
            yield _read(p, max_bytes)


def _read(path: Path, max_bytes: int) -> tuple[str, bytes | None, str | None]:
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            return str(path), None, f"{size} bytes is over the {max_bytes}-byte limit for a DUIS document"
        return str(path), path.read_bytes(), None
    except OSError as exc:
        return str(path), None, f"cannot read ({exc.strerror})"


def validate_many(paths: Iterable[str], *, schema: DuisSchema | None = None, keystore: Keystore | None = None,
                  user_roles: dict[bytes, set[str]] | None = None, now: _dt.datetime | None = None,
                  stdin: BinaryIO | None = None, dcc_eui: bytes | None = None,
                  selector=None) -> Iterator[DuisResult]:
    """One result per document; a RequestID counter reused by one originator is flagged (GBCS-U020).

    `selector` (gbcs.validate.RuleSelector) keeps only the findings of the rules it wants.
    """
    seen: dict[tuple[bytes, int], str] = {}
    for source, data, error in read_sources(paths, stdin):
        if data is None:
            yield DuisResult(source, findings=[finding("GBCS-U001", f"{source}: {error}")])
            continue
        result = validate_document(data, source, schema=schema, keystore=keystore, user_roles=user_roles,
                                   now=now, dcc_eui=dcc_eui)
        doc = result.document
        if doc is not None and doc.kind == "Request" and doc.request_id is not None:
            key = (doc.request_id.originator, doc.request_id.counter)
            if key in seen:
                result.findings.append(finding(
                    "GBCS-U020", f"originator {eui_text(key[0])} already used counter {key[1]} in {seen[key]}; "
                    "each request needs a fresh, increasing counter", field="Header/RequestID"))
            else:
                seen[key] = source
        if selector is not None:
            result.findings = [f for f in result.findings if selector.wanted(f.rule)]
        yield result
