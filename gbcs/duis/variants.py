"""The DUIS service reference variants of specs/duis.gbspec, as lookups built once per SpecSet."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gbcs.spec import specs
from gbcs.spec.load import SpecSet


@dataclass(frozen=True)
class Variant:
    variant: str                       # "6.7"
    title: str
    body: str                          # the Body element's local name
    critical: bool
    on_demand: bool
    future_dated: str                  # no | dsp | device | dsp_and_device
    dcc_scheduled: bool
    non_device: bool
    roles: frozenset[str]              # eligible user roles; empty = none listed
    command_variants: frozenset[int]
    message_codes: tuple[int, ...]     # GBCS message codes its commands carry

    @property
    def service_reference(self) -> str:
        return ".".join(self.variant.split(".")[:2])


@dataclass(frozen=True)
class DecimalRule:
    element: str
    fraction_digits: int
    minimum: Decimal
    maximum: Decimal
    exclusive: bool


@dataclass(frozen=True)
class ValueLink:
    variant: str
    element: str          # request element local name
    field: str            # decoded GBCS leaf name
    divisor: str | None   # leaf beside `field` holding the decimal's divisor


@dataclass(frozen=True)
class DuisFacts:
    variants: dict[str, Variant]
    by_body: dict[str, Variant]
    decimals: dict[str, DecimalRule]
    party_roles: dict[int, frozenset[str]]      # certificate role code -> user roles
    constants: dict[str, str]
    user_roles: frozenset[str]
    value_links: dict[str, tuple[ValueLink, ...]]

    def constant(self, name: str) -> str:
        return self.constants[name]


def _split(text: str | None) -> list[str]:
    return (text or "").split()


def _build(s: SpecSet) -> DuisFacts:
    user_roles = frozenset(r.cells["name"] for r in s.enum("duis_user_role").rows)
    cvs = {r.cells["value"] for r in s.enum("duis_command_variant").rows}
    codes: dict[str, list[int]] = {}
    for row in s.get("duis_variant_code", "requests").rows:
        codes.setdefault(row.cells["variant"], []).append(row.cells["code"])
    variants = {}
    for key, row in s.get("duis_variant", "requests").by_key.items():
        c = row.cells
        roles = frozenset(_split(c["roles"]))
        allowed = frozenset(int(v) for v in _split(c["command_variants"]))
        if not roles <= user_roles or not allowed <= cvs:
            raise ValueError(f"specs/duis.gbspec: variant {key} names unknown roles or command variants")
        variants[key] = Variant(key, c["title"], c["body"], c["critical"], c["on_demand"], c["future_dated"],
                                c["dcc_scheduled"], c["non_device"], roles, allowed,
                                tuple(codes.get(key, ())))
    unknown = set(codes) - set(variants)
    if unknown:
        raise ValueError(f"specs/duis.gbspec: message codes for undefined variants {sorted(unknown)}")
    decimals = {}
    for name, row in s.get("duis_decimal", "requests").by_key.items():
        c = row.cells
        decimals[name] = DecimalRule(name, c["fraction_digits"], Decimal(c["minimum"]), Decimal(c["maximum"]),
                                     c["bounds"] == "exclusive")
    party = {code: frozenset(_split(row.cells["user_roles"]))
             for code, row in s.get("duis_party_role", "smki").by_key.items()}
    constants = {k: r.cells["value"] for k, r in s.get("duis_constant", "duis").by_key.items()}
    links: dict[str, list[ValueLink]] = {}
    for row in s.get("duis_value_link", "requests").rows:
        c = row.cells
        links.setdefault(c["variant"], []).append(ValueLink(c["variant"], c["element"], c["field"], c["divisor"]))
    return DuisFacts(variants, {v.body: v for v in variants.values()}, decimals, party, constants, user_roles,
                     {k: tuple(v) for k, v in links.items()})


def duis_facts() -> DuisFacts:
    return specs().derived(_build)


def variant(name: str) -> Variant | None:
    return duis_facts().variants.get(name)
