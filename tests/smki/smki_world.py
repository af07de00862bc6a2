"""A small test PKI built with gbcs.smki.build: a root, an issuing OCA, a DCA and conforming
templates of every profile, plus helpers that lint with that PKI as the issuer pool."""
from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.smki import lint_certificate
from gbcs.smki.build import dca_name, template

ORG_EUI = bytes.fromhex("AB00000000010000")     # made-up EUIs, not the RTDS ones
DEV_EUI = bytes.fromhex("AB000000000000E1")


def key(label: str, curve=ec.SECP256R1()) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(b"gbcs smki test key " + label.encode()).digest(), "big")
    return ec.derive_private_key(scalar % (2**255) or 1, curve)


ROOT_KEY, OCA_KEY, DCA_KEY, SUBJECT_KEY, OTHER_KEY = (key(n) for n in ("root", "oca", "dca", "subject", "other"))

ROOT = template("root", ROOT_KEY.public_key()).build(ROOT_KEY)
OCA = template("issuing-ca", OCA_KEY.public_key(), issuer=ROOT).build(ROOT_KEY)


def _dca(subject: x509.Name) -> x509.Certificate:
    t = template("issuing-ca", DCA_KEY.public_key(), issuer=ROOT, cn="E357")
    t.subject = subject
    return t.build(ROOT_KEY)


DCA = _dca(dca_name("E357"))
POOL = [ROOT, OCA, DCA]


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def org(usage: str = "ds", **kw):
    return template(f"organisation-{usage}", SUBJECT_KEY.public_key(), eui=ORG_EUI, role=2, issuer=OCA, **kw)


def dev(usage: str = "ds", **kw):
    return template(f"device-{usage}", SUBJECT_KEY.public_key(), eui=DEV_EUI, issuer=DCA, **kw)


def ca(**kw):
    return template("issuing-ca", SUBJECT_KEY.public_key(), issuer=ROOT, **kw)


def root(**kw):
    return template("root", SUBJECT_KEY.public_key(), **kw)


def signer_of(t) -> ec.EllipticCurvePrivateKey:
    return {"device": DCA_KEY, "organisation": OCA_KEY}.get(t.profile.split("-")[0], ROOT_KEY) \
        if t.profile != "root" else SUBJECT_KEY


def rule_set(data, issuers=None, **kw) -> set[str]:
    result = lint_certificate(data, issuers=POOL if issuers is None else issuers, **kw)
    return {f.rule for f in result.findings}
