"""The SMKI tables of specs/smki.gbspec as Python values, and the PKI environment setting.

An Environment says which policy OIDs, hardware types, issuing CAs and extra role classes a PKI
accepts. Test and production PKIs differ and production values are not published in any source
found, so the named environments come from the spec table (the sample test PKIs) and users
build or extend their own with `Environment.named(...).extended(...)`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Iterable

from gbcs.errors import GbcsError
from gbcs.spec import specs

FAMILIES = ("device", "organisation", "ca")


def fact(name: str):
    return specs().get("smki_fact", "gbcs").by_key[name].cells["value"]


def profiles() -> dict[str, dict]:
    """Profile name -> {family, usage, key_usage (bytes), title}."""
    return specs().derived(_profiles)


def _profiles(s) -> dict[str, dict]:
    out = {}
    for row in s.get("smki_profile", "gbcs").rows:
        c = row.cells
        out[c["name"]] = {"family": c["family"], "usage": c["usage"],
                          "key_usage": bytes.fromhex(c["key_usage"]), "title": c["title"]}
    return out


def profile_for(family: str, usage: str) -> str | None:
    for name, p in profiles().items():
        if p["family"] == family and p["usage"] == usage and name != "root":
            return name
    return None


def extension_set(family: str) -> list[dict]:
    """[{extension, presence, critical}] in the order the profile family carries them."""
    return [dict(r.cells) for r in specs().get("smki_extension", "gbcs").rows if r.cells["family"] == family]


def criticality(extension: str) -> bool:
    """Whether SMKI marks this extension critical (the same in every profile that carries it)."""
    return specs().derived(_criticality)[extension]


def _criticality(s) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for r in s.get("smki_extension", "gbcs").rows:
        name, critical = r.cells["extension"], r.cells["critical"]
        if out.setdefault(name, critical) != critical:
            raise GbcsError(f"specs/smki.gbspec: {name} is critical in one profile and not in another")
    return out


def name_rows(scope: str, which: str) -> list[dict]:
    """[{attribute, string, presence, role}] of a subject or issuer name, in order (smki_name)."""
    return [dict(r.cells) for r in specs().get("smki_name", "gbcs").rows
            if r.cells["scope"] == scope and r.cells["name"] == which]


def roles() -> dict[int, dict]:
    """Remote Party Role code -> {name, holder, title}."""
    return specs().derived(_roles)


def _roles(s) -> dict[int, dict]:
    return {r.cells["code"]: dict(r.cells) for r in s.get("smki_role", "gbcs").rows}


def role_code(name: str) -> int:
    return next(code for code, r in roles().items() if r["name"] == name)


def role_text(code: int | None) -> str | None:
    if code is None:
        return None
    r = roles().get(code)
    return f"{code:02X} ({r['name']})" if r else f"{code:02X} (unassigned)"


def key_identifier(public_key_bits: bytes) -> bytes:
    """RFC 5280 4.2.1.2 method 2 as GBCS uses it: the tag nibble, then the low 60 bits of SHA-1."""
    n = fact("key_identifier_length")
    low = bytearray(hashlib.sha1(public_key_bits).digest()[-n:])
    low[0] = (fact("key_identifier_tag") << 4) | (low[0] & 0x0F)
    return bytes(low)


def message_certificate_usages() -> dict[str, str | None]:
    """Node path (suffix) of a certificate in a GBCS message -> the key usage expected there."""
    return {r.cells["node"]: r.cells["usage"] for r in specs().get("smki_message_certificate", "gbcs").rows}


@dataclass(frozen=True)
class Environment:
    """What one PKI accepts. An empty set means "not configured": that value is not compared."""
    name: str
    policies: dict[str, frozenset[str]] = field(default_factory=dict)     # family -> policy OIDs
    issuers: dict[str, frozenset[str]] = field(default_factory=dict)      # family -> issuer CNs
    hw_types: frozenset[str] = frozenset()
    role_holders: frozenset[str] = frozenset()   # extra smki_role holder classes (xml_signing)

    @classmethod
    def names(cls) -> list[str]:
        return sorted({r.cells["environment"] for r in specs().get("smki_environment", "gbcs").rows}) + ["none"]

    @classmethod
    def named(cls, name: str = "test") -> "Environment":
        """An environment of the spec table, or "none": nothing configured (values not compared)."""
        if name == "none":
            return cls.empty("none")
        rows = [r.cells for r in specs().get("smki_environment", "gbcs").rows if r.cells["environment"] == name]
        if not rows:
            raise GbcsError(f"no SMKI environment called {name!r}; known: {', '.join(cls.names())} "
                            "(or configure one with --policy/--issuer)")
        def values(kind, family=None):
            return frozenset(c["value"] for c in rows if c["kind"] == kind and (family is None or c["family"] == family))
        return cls(name, {f: values("policy", f) for f in FAMILIES}, {f: values("issuer", f) for f in FAMILIES},
                   values("hw_type"), values("role_holder"))

    @classmethod
    def empty(cls, name: str = "custom") -> "Environment":
        return cls(name, {f: frozenset() for f in FAMILIES}, {f: frozenset() for f in FAMILIES})

    def extended(self, *, policies: Iterable[tuple[str, str]] = (), issuers: Iterable[tuple[str, str]] = (),
                 hw_types: Iterable[str] = (), role_holders: Iterable[str] = ()) -> "Environment":
        """A copy accepting more values; policies/issuers are (family, value) pairs."""
        pol = {f: set(v) for f, v in self.policies.items()}
        iss = {f: set(v) for f, v in self.issuers.items()}
        for family, value in policies:
            pol.setdefault(family, set()).add(value)
        for family, value in issuers:
            iss.setdefault(family, set()).add(value)
        return replace(self, policies={f: frozenset(v) for f, v in pol.items()},
                       issuers={f: frozenset(v) for f, v in iss.items()},
                       hw_types=self.hw_types | frozenset(hw_types),
                       role_holders=self.role_holders | frozenset(role_holders))
