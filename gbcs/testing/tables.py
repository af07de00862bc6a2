"""What the spec tables say about generating traffic: use cases, their message codes, the
CRA kinds and payload families each code travels as, which kinds are signed and MAC'd, and
the payload shapes (DLMS targets, ZCL commands, alert codes) each code uses.

Everything comes from specs/ through the validator's own look-ups (gbcs.validate.facts), so
what is generated is what is checked; nothing here is a GBCS fact of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from gbcs.spec import specs
from gbcs.spec.load import SpecSet

KINDS = ("command", "response", "alert")


@dataclass(frozen=True)
class ZclShape:
    """One ZCL command a code's GBZ components carry (a gbz_command_shape row)."""
    cluster: int
    cluster_specific: bool
    server_to_client: bool
    command: int
    encrypted: bool
    from_date_time: bool
    attributes: tuple[int, ...] | None


@dataclass(frozen=True)
class CodeFacts:
    """How one message code travels."""
    code: int
    use_case: str | None
    title: str
    kinds: tuple[str, ...]                                    # of KINDS
    families: tuple[str, ...]                                 # dlms, gbz, asn1
    signed: frozenset[str]                                    # the kinds whose class demands a signature
    unmacd: frozenset[str]                                    # the kinds whose class forbids a MAC
    dlms_targets: tuple[tuple[str, int, str, int], ...]       # (access, class, OBIS, member) of its requests
    zcl: dict[str, tuple[ZclShape, ...]]                      # kind -> the ZCL commands it carries
    alert_codes: dict[str, tuple[int, ...]]                   # family -> alert codes it may carry


class _Traffic:
    """The message_codes table joined with protection, payload shapes and the alert table."""

    def __init__(self, s: SpecSet):
        from gbcs.validate.facts import facts
        f = facts(s)
        names = {r.cells["value"]: r.cells["name"] for r in s.enum("payload_family").rows}
        single = [n for n in names.values() if "_or_" not in n]
        zcl = self._zcl(s)
        self.codes: dict[int, CodeFacts] = {}
        for code, row in f.codes.items():
            asn1 = f.asn1_types.get(code)
            kinds = tuple(k for k in KINDS if k in (row["cra"] or ())) or \
                (tuple(k for k in KINDS if k in asn1) if asn1 else KINDS)
            payload = row["payload"]
            if payload is None:
                families = ("asn1",) if asn1 else tuple(n for n in single if n != "asn1")
            else:
                families = tuple(n for n in single if n == payload or n in payload.split("_or_"))
            criticality = f.criticality.get(row["message_type"])
            need = {k: f.protection.get((criticality, k), {}) for k in kinds}
            alert_codes = {fam: tuple(sorted(
                a for a, cells in f.alerts.items()
                if (not cells["carriers"] or code in cells["carriers"])
                and (not cells["payloads"] or fam in cells["payloads"])))
                for fam in families} if "alert" in kinds else {}
            self.codes[code] = CodeFacts(
                code, row["use_case"], row["title"], kinds, families,
                frozenset(k for k in kinds if need[k].get("signature") == "required"),
                frozenset(k for k in kinds if need[k].get("mac") == "forbidden"),
                tuple(sorted(f.dlms_targets.get(code, ()))),
                {k: tuple(zcl.get((code, k), ())) for k in kinds},
                alert_codes)
        self.use_cases: dict[str, list[int]] = {}
        for facts_ in self.codes.values():
            if facts_.use_case is not None:
                self.use_cases.setdefault(facts_.use_case, []).append(facts_.code)

    @staticmethod
    def _zcl(s: SpecSet) -> dict[tuple[int, str], list[ZclShape]]:
        out: dict[tuple[int, str], list[ZclShape]] = {}
        for r in s.get("gbz_command_shape", "gbcs").rows:
            c = r.cells
            out.setdefault((c["code"], c["cra"]), []).append(ZclShape(
                c["cluster"], c["frame"] == "cluster_specific", c["direction"] == "server_to_client",
                c["command"], bool(c["encrypted"]), bool(c["from_date_time"]),
                tuple(c["attributes"]) if c["attributes"] else None))
        return out


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
