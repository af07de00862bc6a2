"""What the spec tables say about generating traffic: use cases, their message codes, the
CRA kinds and payload families each code travels as, and which kinds are signed.

Everything comes from specs/ (use_cases.gbspec, testing.gbspec and the payload tables);
nothing here is a GBCS fact of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.spec import specs
from gbcs.spec.load import SpecSet

KINDS = ("command", "response", "alert")


@dataclass(frozen=True)
class CodeFacts:
    """How one message code travels."""
    code: int
    use_case: str | None
    title: str
    kinds: tuple[str, ...]              # of KINDS
    families: tuple[str, ...]           # payload families it may carry: dlms, gbz, asn1
    signed: frozenset[str]              # the kinds that carry a signature


class _Traffic:
    """The message_codes table joined with message_traffic and the payload tables."""

    def __init__(self, s: SpecSet):
        traffic = s.get("message_traffic", "gbcs").by_key
        default = traffic["*"]
        asn1 = {r.cells["code"]: r.cells for r in s.get("asn1_dispatch", "gbcs").rows}
        alert_bodies = set(s.get("dlms_alert_body", "gbcs").by_key)
        for item in s.of_kind("gbz_alert_body"):
            alert_bodies |= set(item.by_key)
        family_names = {r.cells["value"]: r.cells["name"] for r in s.enum("payload_family").rows}
        self.codes: dict[int, CodeFacts] = {}
        for code, row in s.get("message_codes", "gbcs").by_key.items():
            c = row.cells
            listed = traffic.get(c["message_type"])
            kinds: tuple[str, ...]
            if listed is not None:
                kinds = self._kinds(s, listed.cells["kinds"])
            elif code in asn1:
                kinds = tuple(k for k in KINDS if asn1[code][k] is not None)
            elif code in alert_bodies:
                kinds = ("alert",)
            else:
                kinds = self._kinds(s, default.cells["kinds"])
            signed_kind = (listed or default).cells["signed"]
            signed: set[str] = set()
            if signed_kind is not None:
                signed.add(s.enum_name("signed_kind", signed_kind) if isinstance(signed_kind, int) else signed_kind)
            self.codes[code] = CodeFacts(code, c["use_case"], c["title"], kinds,
                                         self._families(s, c["payload"], family_names, code in asn1),
                                         frozenset(signed))
        self.use_cases: dict[str, list[int]] = {}
        for facts in self.codes.values():
            if facts.use_case is not None:
                self.use_cases.setdefault(facts.use_case, []).append(facts.code)

    @staticmethod
    def _kinds(s: SpecSet, value: int | str) -> tuple[str, ...]:
        name = s.enum_name("traffic_kinds", value) if isinstance(value, int) else value
        return ("command", "response") if name == "command_response" else ("alert",)

    @staticmethod
    def _families(s: SpecSet, payload: int | None, names: dict[int, str], has_asn1: bool) -> tuple[str, ...]:
        """The families a code's content may be in. A family of two (dlms_or_gbz) is split;
        a code whose family the table leaves open may carry any of them."""
        if payload is None:
            return ("asn1",) if has_asn1 else ("dlms", "gbz")
        name = names.get(payload, payload)
        single = [n for n in names.values() if "_or_" not in n]
        return tuple(n for n in single if n == name or n in name.split("_or_"))


def traffic(spec_set: SpecSet | None = None) -> _Traffic:
    return (spec_set or specs()).derived(_Traffic)


def use_cases(spec_set: SpecSet | None = None) -> list[str]:
    """Every use-case id of the message_codes table, in table order."""
    return list(traffic(spec_set).use_cases)


def codes_of(use_case: str, spec_set: SpecSet | None = None) -> list[int]:
    """The message codes of a use case (CS02b has several)."""
    codes = traffic(spec_set).use_cases.get(use_case)
    if codes is None:
        raise ValueError(f"{use_case!r} is not a use case of specs/use_cases.gbspec; "
                         "gbcs.testing.use_cases() lists them")
    return list(codes)


def code_facts(code: int, spec_set: SpecSet | None = None) -> CodeFacts:
    facts = traffic(spec_set).codes.get(code)
    if facts is None:
        raise ValueError(f"message code 0x{code:04X} is not in specs/use_cases.gbspec")
    return facts


def all_codes(spec_set: SpecSet | None = None) -> list[int]:
    return list(traffic(spec_set).codes)
