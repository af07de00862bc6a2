"""A DUIS request, response or alert read from a parsed tree: header fields, body, payloads.

Reading never fails on content: missing or malformed fields are left None (or noted in
`id_problems`) for the checks to report; only the XML itself can be refused (parsing.py).
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from dataclasses import dataclass, field

from lxml import etree

from gbcs.io.inputs import PAYLOAD_ELEMENTS   # the DUIS elements that carry GBCS, named once
from gbcs.duis.parsing import local_name, parse_xml
from gbcs.duis.variants import duis_facts

_EUI = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")
_COUNTER = re.compile(r"0|[1-9][0-9]*")
MAX_COUNTER = 2**64 - 1


@dataclass(frozen=True)
class RequestId:
    originator: bytes
    target: bytes
    counter: int

    def __str__(self) -> str:
        return f"{eui_text(self.originator)}:{eui_text(self.target)}:{self.counter}"


def eui_text(eui: bytes) -> str:
    return "-".join(f"{b:02X}" for b in eui)


def parse_request_id(text: str) -> tuple[RequestId | None, str | None]:
    """(RequestId, None) or (None, what is wrong)."""
    parts = text.strip().split(":")
    if len(parts) != 3:
        return None, f"{len(parts)} ':'-separated parts instead of 3 (originator:target:counter)"
    for label, part in (("originator", parts[0]), ("target", parts[1])):
        if not _EUI.fullmatch(part):
            return None, f"the {label} {part!r} is not an EUI-64 written as 8 hex pairs joined by '-'"
    if not _COUNTER.fullmatch(parts[2]):
        return None, f"the counter {parts[2]!r} is not a decimal integer without leading zeros"
    counter = int(parts[2])
    if counter > MAX_COUNTER:
        return None, f"the counter {counter} is above 2^64-1"
    return RequestId(bytes.fromhex(parts[0].replace("-", "")), bytes.fromhex(parts[1].replace("-", "")),
                     counter), None


@dataclass
class Payload:
    where: str            # e.g. "ResponseMessage/PreCommand/GBCSPayload"
    data: bytes | None
    error: str | None = None


@dataclass
class DuisDocument:
    tree: etree._ElementTree
    kind: str                                      # Request | Response | other root name
    schema_version: str | None = None
    request_id_text: str | None = None
    request_id: RequestId | None = None
    request_id_problem: str | None = None
    response_id_text: str | None = None
    response_id: RequestId | None = None
    response_id_problem: str | None = None
    command_variant: int | None = None
    service_reference: str | None = None
    service_reference_variant: str | None = None
    response_code: str | None = None
    response_datetime: _dt.datetime | None = None
    body: list[etree._Element] = field(default_factory=list)
    signatures: list[etree._Element] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def body_element(self) -> etree._Element | None:
        return self.body[0] if len(self.body) == 1 else None

    @property
    def own_datetime(self) -> _dt.datetime | None:
        """The document's own date-time (responses and alerts carry one; requests do not)."""
        return self.response_datetime


def _sr(name: str) -> str:
    return f"{{{duis_facts().constant('namespace')}}}{name}"


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip()


def read_document(tree_or_bytes: etree._ElementTree | bytes, source: str = "input") -> DuisDocument:
    tree = tree_or_bytes if isinstance(tree_or_bytes, etree._ElementTree) else parse_xml(tree_or_bytes,
                                                                                           source=source)
    root = tree.getroot()
    facts = duis_facts()
    ns, ds = facts.constant("namespace"), facts.constant("dsig_namespace")
    doc = DuisDocument(tree, local_name(root) if etree.QName(root).namespace == ns else
                       etree.QName(root).text)
    doc.schema_version = root.get("schemaVersion")
    doc.signatures = list(root.iter(f"{{{ds}}}Signature"))
    header = root.find(_sr("Header"))
    if header is not None:
        doc.request_id_text = _text(header.find(_sr("RequestID")))
        if doc.request_id_text is not None:
            doc.request_id, doc.request_id_problem = parse_request_id(doc.request_id_text)
        doc.response_id_text = _text(header.find(_sr("ResponseID")))
        if doc.response_id_text is not None:
            doc.response_id, doc.response_id_problem = parse_request_id(doc.response_id_text)
        cv = _text(header.find(_sr("CommandVariant")))
        doc.command_variant = int(cv) if cv and cv.isdigit() and len(cv) < 4 else None
        doc.service_reference = _text(header.find(_sr("ServiceReference")))
        doc.service_reference_variant = _text(header.find(_sr("ServiceReferenceVariant")))
        doc.response_code = _text(header.find(_sr("ResponseCode")))
        when = _text(header.find(_sr("ResponseDateTime")))
        doc.response_datetime = parse_datetime(when) if when else None
    body = root.find(_sr("Body"))
    if body is not None:
        doc.body = [child for child in body if isinstance(child.tag, str)]
        message = body.find(_sr("ResponseMessage"))
        if message is not None:          # responses name their variant inside the body
            doc.service_reference = doc.service_reference or _text(message.find(_sr("ServiceReference")))
            doc.service_reference_variant = (doc.service_reference_variant
                                             or _text(message.find(_sr("ServiceReferenceVariant"))))
        for element in body.iter():
            if isinstance(element.tag, str) and local_name(element) in PAYLOAD_ELEMENTS \
                    and etree.QName(element).namespace == ns:
                doc.payloads.append(_payload(element, body))
    return doc


def _payload(element: etree._Element, body: etree._Element) -> Payload:
    path = []
    node = element
    while node is not None and node is not body:
        path.append(local_name(node))
        node = node.getparent()
    where = "/".join(reversed(path))
    text = "".join("".join(element.itertext()).split())     # DCC output wraps base64 with &#13;
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return Payload(where, None, f"{where} is not valid base64")
    return Payload(where, data, None if data else f"{where} is empty")


def parse_datetime(text: str) -> _dt.datetime | None:
    """xs:dateTime as an aware datetime (no zone = UTC), or None when unreadable."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        value = _dt.datetime.fromisoformat(t)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
