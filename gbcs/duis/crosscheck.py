"""The DUIS <-> GBCS cross-check: a request against the GBCS messages that belong to it.

Given the request and its pre-command, signed command, response and alerts (files, or the
GBCSPayload elements of DUIS documents), check that each command's message code is one the
variant becomes, that headers carry the RequestID's parties and counter, that a critical
request's command is signed and its signed part is the pre-command, that values agree, and
that responses and alerts answer the command.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Iterator

from gbcs.decoding import decode
from gbcs.duis.document import DuisDocument, eui_text
from gbcs.duis.parsing import local_name
from gbcs.duis.variants import duis_facts
from gbcs.errors import GbcsError
from gbcs.findings import Finding, finding
from gbcs.message import Message, Node
from gbcs.spec import specs


@dataclass(frozen=True)
class GbcsItem:
    source: str
    data: bytes


@dataclass
class _Decoded:
    source: str
    message: Message

    @property
    def role(self) -> str:
        """The CRA flag's name (command, response, alert), or "message" when it has none."""
        return specs().derived(_cra_names).get(self.message.cra_flag, "message")


def _cra_names(s) -> dict[int, str]:
    return {r.cells["value"]: r.cells["name"] for r in s.enum("cra_flag").rows}


def cross_check(request: DuisDocument, items: Iterable[GbcsItem]) -> list[Finding]:
    """Findings (topic duis) for every seam where the request and its GBCS messages disagree."""
    items = list(items)
    return list(_check(request, items + signed_pre_commands(request)))


def signed_pre_commands(request: DuisDocument) -> list[GbcsItem]:
    """The signed command a CV 5-7 request carries (8.13's DeviceGBCSResponse answers another request)."""
    signed = duis_facts().constant("signed_pre_command")
    return [GbcsItem(f"request {p.where}", p.data) for p in request.payloads
            if p.data and p.where.startswith(signed + "/")]


def _check(request: DuisDocument, items: list[GbcsItem]) -> Iterator[Finding]:
    variant = duis_facts().variants.get(request.service_reference_variant or "")
    rid = request.request_id
    decoded: list[_Decoded] = []
    for item in items:
        try:
            decoded.append(_Decoded(item.source, decode(item.data)))
        except GbcsError as exc:
            yield finding("GBCS-U036", f"{item.source}: {exc.message}; the cross-check skipped it")
    commands = [d for d in decoded if d.role == "command"]
    for d in commands:
        m = d.message
        if variant is not None and variant.message_codes and m.message_code not in variant.message_codes:
            allowed = ", ".join(f"0x{c:04X}" for c in variant.message_codes)
            yield finding("GBCS-U030", f"{d.source}: message code 0x{m.message_code:04X} ({m.use_case or 'unknown'}) "
                          f"is not one {variant.variant} ({variant.title}) becomes: {allowed}",
                          field="grouping_header.other_information.message_code")
        if rid is not None:
            yield from _header(d, "originator", m.originator, rid.originator)
            yield from _header(d, "recipient", m.recipient, rid.target)
            if m.originator_counter != rid.counter:
                yield finding("GBCS-U034", f"{d.source}: originator counter {m.originator_counter} is not the "
                              f"RequestID counter {rid.counter}", field="grouping_header.transaction_id")
        yield from _values(request, d)
    signed = [d for d in commands if d.message.kind == "command" and _is_signed(d.message)]
    if variant is not None and variant.critical:
        for d in commands:
            if d.message.kind == "command" and not _is_signed(d.message):
                yield finding("GBCS-U031", f"{d.source}: {variant.variant} is critical but this command carries "
                              "no signature; sign the pre-command (CV 4) and send it with CV 5-7",
                              field="signature")
    pre = [d for d in commands if d.message.kind == "precommand"]
    if pre:
        pre_bytes = {bytes(d.message.data): d for d in pre}
        for d in signed:
            part = _signed_part(d.message)
            if part not in pre_bytes:
                names = ", ".join(p.source for p in pre)
                yield finding("GBCS-U032", f"{d.source}: the signed part of the command differs from the "
                              f"pre-command ({names}); sign exactly the bytes the DCC returned",
                              field="payload")
    codes = {d.message.message_code for d in commands}
    for d in decoded:
        if d.role in ("response", "alert") and rid is not None:
            yield from _answer(d, rid, codes)


def _header(d: _Decoded, name: str, got: bytes | None, want: bytes) -> Iterator[Finding]:
    if got != want:
        shown = eui_text(got) if got else "none"
        yield finding("GBCS-U034", f"{d.source}: {name} {shown} is not the RequestID's {eui_text(want)}",
                      field=f"grouping_header.{name}")


def _answer(d: _Decoded, rid, codes: set[int | None]) -> Iterator[Finding]:
    m = d.message
    what = d.role
    if m.originator != rid.target:
        yield finding("GBCS-U035", f"{d.source}: the {what} comes from {eui_text(m.originator or b'')}, not the "
                      f"request's target {eui_text(rid.target)}", field="grouping_header.originator")
    if m.recipient != rid.originator:
        yield finding("GBCS-U035", f"{d.source}: the {what} goes to {eui_text(m.recipient or b'')}, not the "
                      f"requester {eui_text(rid.originator)}", field="grouping_header.recipient")
    if what == "response":
        if m.originator_counter != rid.counter:
            yield finding("GBCS-U035", f"{d.source}: the response's counter {m.originator_counter} is not the "
                          f"request's {rid.counter}", field="grouping_header.transaction_id")
        if codes and m.message_code not in codes:
            yield finding("GBCS-U035", f"{d.source}: the response's message code 0x{m.message_code:04X} answers "
                          "no command given", field="grouping_header.other_information.message_code")


def _is_signed(m: Message) -> bool:
    length = m.find("signature.length")
    return length is not None and bool(length.value)


def _signed_part(m: Message) -> bytes:
    """The general-signing APDU without its signature: what the pre-command was."""
    header, payload = m.find("grouping_header"), m.find("payload")
    if header is None or payload is None:
        return b""
    return bytes(m.data[header.start:payload.end])


def _leaves_with_parent(node: Node, parent: Node | None = None) -> Iterator[tuple[Node, Node | None]]:
    if node.is_leaf:
        yield node, parent
    for child in node.children or ():
        yield from _leaves_with_parent(child, node)


def _values(request: DuisDocument, d: _Decoded) -> Iterator[Finding]:
    facts = duis_facts()
    links = facts.value_links.get(request.service_reference_variant or "", ())
    body = request.body_element
    if not links or body is None:
        return
    leaves = list(_leaves_with_parent(d.message.root))
    for link in links:
        texts = [(e.text or "").strip() for e in body.iter()
                 if isinstance(e.tag, str) and local_name(e) == link.element]
        carried = [(leaf, parent) for leaf, parent in leaves if leaf.name == link.field]
        if not texts or not carried:
            continue
        if len(texts) != len(carried):       # e.g. four block prices against three in the payload
            yield finding("GBCS-U033", f"{d.source}: the request gives {len(texts)} {link.element} values, the "
                          f"payload carries {len(carried)} {link.field}", field=link.field)
            continue
        for text, (leaf, parent) in zip(texts, carried):     # both in document order
            expected = _expected(text, link, parent, facts)
            if expected is not None and leaf.value != expected:
                yield finding("GBCS-U033", f"{d.source}: the request's {link.element} {text} means {expected} "
                              f"on the device, but the payload's {link.field} is {leaf.value}",
                              offset=leaf.start, field=link.field)


def _expected(text: str, link, parent: Node | None, facts) -> int | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if link.divisor is not None:
        divisor_leaf = parent.get(link.divisor) if parent is not None else None
        if divisor_leaf is not None and isinstance(divisor_leaf.value, int) and divisor_leaf.value > 0:
            scale = Decimal(divisor_leaf.value)
        else:
            rule = facts.decimals.get(link.element)
            scale = Decimal(10) ** (rule.fraction_digits if rule else 0)
        value = value * scale
    return int(value) if value == value.to_integral_value() else None
