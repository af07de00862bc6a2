"""certificates(): SMKI certificates of every profile of specs/smki.gbspec, built with the
linter's own template builder (gbcs.smki.build) and issued by a TEST root and issuing CA,
so that each one lints clean when its issuers are known (test_pki() gives them).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import strategies as st

def _key(label: str) -> ec.EllipticCurvePrivateKey:
    from gbcs.testing.strategies import derived_key
    return derived_key("certificate " + label)


@dataclass(frozen=True)
class TestPki:
    """A TEST root, organisation CA and device CA (keys and DER certificates), named as the
    test environment of specs/smki.gbspec accepts. Never use them for anything real."""
    root_key: ec.EllipticCurvePrivateKey
    root: bytes
    issuing_key: ec.EllipticCurvePrivateKey
    issuing: bytes                      # issues organisation certificates
    device_ca_key: ec.EllipticCurvePrivateKey
    device_ca: bytes                    # issues device certificates

    @property
    def issuers(self) -> list[bytes]:
        return [self.root, self.issuing, self.device_ca]


@lru_cache(maxsize=1)
def test_pki() -> TestPki:
    from gbcs.smki.build import ca_name, dca_name, template
    from gbcs.smki.facts import Environment
    env = Environment.named("test")
    root_key, issuing_key, device_key = _key("root"), _key("issuing-ca"), _key("device-ca")
    root = template("root", root_key.public_key()).build(root_key)
    issuing = template("issuing-ca", issuing_key.public_key(), issuer=root)
    issuing.subject = ca_name(sorted(env.issuers["organisation"])[0])
    device = template("issuing-ca", device_key.public_key(), issuer=root)
    device.subject = dca_name(sorted(env.issuers["device"])[0])
    return TestPki(root_key, root.public_bytes(Encoding.DER), issuing_key, issuing.der(root_key),
                   device_key, device.der(root_key))


def profile_names() -> list[str]:
    from gbcs.smki.facts import profiles
    return sorted(profiles())


def certificates(profile: str | None = None, *, eui: bytes | None = None,
                 role: int | None = None) -> st.SearchStrategy[bytes]:
    """DER certificates of `profile` (device-ds, device-ka, organisation-ds, organisation-ka,
    issuing-ca, root; any when left out), with drawn keys, EUIs and organisation roles."""
    from gbcs.smki.facts import profiles, roles
    known = profile_names()
    if profile is not None and profile not in known:
        raise ValueError(f"{profile!r} is not an SMKI profile of specs/smki.gbspec; known: {', '.join(known)}")
    end_entity_roles = sorted(code for code, r in roles().items() if r["holder"] == "end_entity")

    @st.composite
    def build(draw) -> bytes:
        from cryptography import x509
        from gbcs.smki.build import template
        name = profile or draw(st.sampled_from(known))
        key = _key(f"{name}-{draw(st.integers(0, 2**32 - 1))}")
        pki = test_pki()
        if name == "root":
            return template(name, key.public_key()).der(key)
        if name == "issuing-ca":
            return template(name, key.public_key(), issuer=x509.load_der_x509_certificate(pki.root)).der(pki.root_key)
        family = profiles()[name]["family"]
        who = eui if eui is not None else draw(st.binary(min_size=8, max_size=8))
        chosen_role = role if role is not None else (draw(st.sampled_from(end_entity_roles))
                                                    if family == "organisation" else None)
        ca, ca_key = (pki.device_ca, pki.device_ca_key) if family == "device" else (pki.issuing, pki.issuing_key)
        issuer = x509.load_der_x509_certificate(ca)
        return template(name, key.public_key(), eui=who, role=chosen_role, issuer=issuer).der(ca_key)
    return build()
