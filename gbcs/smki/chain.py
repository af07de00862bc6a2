"""Chain rules (GBCS-X1xx): the certificate against its issuing CA certificate, when one is given.

The issuer is found by authorityKeyIdentifier = the CA's subjectKeyIdentifier, else by name
(compared by attribute values, so a UTF8String "Z1" finds a PrintableString "Z1" — and then
fails the exact-bytes rule, as a constrained device comparing bytes would).
"""
from __future__ import annotations

from typing import Iterable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.smki.parse import Certificate, T_OCTET_STRING, time_value
from gbcs.smki.registry import LintContext, cert_check
from gbcs.smki.signature import verify


def subject_key_id(cert: Certificate) -> bytes | None:
    ext = cert.extension("subject_key_identifier")
    if ext is None or ext.inner is None or ext.inner.tag != T_OCTET_STRING:
        return None
    return ext.inner.content


def authority_key_id(cert: Certificate) -> bytes | None:
    ext = cert.extension("authority_key_identifier")
    if ext is None or ext.inner is None:
        return None
    kid = next((p for p in ext.inner.children if p.tag == 0x80), None)
    return None if kid is None else kid.content


def _name_values(cert: Certificate, which: str) -> tuple:
    rdns = cert.issuer_rdns if which == "issuer" else cert.subject_rdns
    return tuple(tuple(sorted((a.oid, a.value.content.decode("latin-1")) for a in rdn)) for rdn in rdns)


class IssuerPool:
    """Candidate CA certificates, indexed by subjectKeyIdentifier and by subject name values."""

    def __init__(self, certificates: Iterable[Certificate] = ()):
        self.by_key: dict[bytes, list[Certificate]] = {}
        self.by_name: dict[tuple, list[Certificate]] = {}
        for c in certificates:
            ski = subject_key_id(c)
            if ski is not None:
                self.by_key.setdefault(ski, []).append(c)
            self.by_name.setdefault(_name_values(c, "subject"), []).append(c)

    def find(self, cert: Certificate) -> tuple[Certificate | None, str | None]:
        """The issuing CA of `cert` (by key identifier, else by name), and how it was found."""
        if cert.self_issued:
            return cert, "self"
        aki = authority_key_id(cert)
        for c in self.by_key.get(aki, []) if aki is not None else []:
            if c.der != cert.der:
                return c, "key identifier"
        for c in self.by_name.get(_name_values(cert, "issuer"), []):
            if c.der != cert.der:
                return c, "name"
        return None, None


def find_issuer(cert: Certificate, candidates: Iterable[Certificate]) -> tuple[Certificate | None, str | None]:
    """The issuing CA among `candidates` (by key identifier, else by name), and how it was found."""
    pool = candidates if isinstance(candidates, IssuerPool) else IssuerPool(candidates)
    return pool.find(cert)


@cert_check("GBCS-X105", families=("device", "organisation", "ca", None))
def issuer_available(ctx: LintContext):
    if ctx.issuer is None:
        aki = authority_key_id(ctx.cert)
        key = f" (authorityKeyIdentifier {aki.hex().upper()})" if aki else ""
        yield ctx.finding("GBCS-X105", f"the issuing CA certificate {ctx.cert.issuer_cn or ''}{key} was not given, "
                          "so the signature and chain were not checked; give it (gbcs cert lint --ca, or in the keystore)", ctx.cert.issuer)


@cert_check("GBCS-X106", families=("device", "organisation", "ca"))
def issuer_accepted(ctx: LintContext):
    accepted = ctx.environment.issuers.get(ctx.family) or frozenset()
    if ctx.profile == "root" or not accepted:
        return
    cn = ctx.cert.issuer_cn
    if cn not in accepted:
        yield ctx.finding("GBCS-X106", f"the issuer {cn!r} is not a CA the {ctx.environment.name} environment "
                          f"accepts for {ctx.family} certificates ({', '.join(sorted(accepted))}); add it with "
                          "--issuer if it is right", ctx.cert.issuer)


@cert_check("GBCS-X101", needs_issuer=True)
def issuer_name_bytes(ctx: LintContext):
    if ctx.cert.issuer.der != ctx.issuer.subject.der:
        yield ctx.finding("GBCS-X101", f"the issuer Name differs from the CA's subject in its encoding "
                          f"({ctx.cert.issuer.der.hex().upper()} vs {ctx.issuer.subject.der.hex().upper()}); string "
                          "types must match, as devices compare names byte for byte", ctx.cert.issuer)


@cert_check("GBCS-X102", needs_issuer=True)
def authority_key_id_matches(ctx: LintContext):
    if ctx.issuer_how == "self" and ctx.profile == "root" and authority_key_id(ctx.cert) is None:
        return
    aki, ski = authority_key_id(ctx.cert), subject_key_id(ctx.issuer)
    if aki is None:
        what = "no authorityKeyIdentifier" if ctx.cert.extension("authority_key_identifier") is None \
            else "no keyIdentifier in the authorityKeyIdentifier"
        yield ctx.finding("GBCS-X102", f"there is {what} to match the CA's subjectKeyIdentifier "
                          f"({ski.hex().upper() if ski else 'none'}); the CA was found by name only", ctx.cert.tbs)
    elif aki != ski:
        yield ctx.finding("GBCS-X102", f"the authorityKeyIdentifier {aki.hex().upper()} is not the CA's "
                          f"subjectKeyIdentifier {ski.hex().upper() if ski else '(none)'}",
                          ctx.cert.extension("authority_key_identifier").octets)


@cert_check("GBCS-X103", needs_issuer=True)
def issuer_signature(ctx: LintContext):
    try:
        key = serialization.load_der_public_key(ctx.issuer.spki.der)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        yield ctx.finding("GBCS-X103", f"the CA's public key cannot be read ({exc}); the signature was not "
                          "verified", ctx.cert.signature_value)
        return
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != ec.SECP256R1.name:
        yield ctx.finding("GBCS-X103", "the CA key is not a P-256 key; SMKI CAs sign with P-256",
                          ctx.cert.signature_value)
        return
    outcome = verify(ctx.cert, key)
    if outcome is None:
        alg = ctx.cert.signature_algorithm.children[0].oid
        yield ctx.finding("GBCS-X103", f"the signature could not be verified: the algorithm {alg} is not "
                          "ECDSA, or the signature value holds no (r, s)", ctx.cert.signature_value)
    elif not outcome:
        yield ctx.finding("GBCS-X103", f"the signature does not verify with the key of the CA "
                          f"{_subject_text(ctx.issuer)} (found by {ctx.issuer_how}); another key issued it, "
                          "or the certificate was changed after signing", ctx.cert.signature_value)


def _subject_text(cert: Certificate) -> str:
    return ",".join(f"{a.value.text}" for rdn in cert.subject_rdns for a in rdn) or "(empty subject)"


@cert_check("GBCS-X104", families=("organisation", "ca", None), needs_issuer=True)
def validity_nesting(ctx: LintContext):
    # Device Certificates never expire (GBCS-X201), so no DCA period can hold theirs.
    if ctx.issuer_how == "self":
        return
    nb, na = time_value(ctx.cert.not_before), time_value(ctx.cert.not_after)
    cnb, cna = time_value(ctx.issuer.not_before), time_value(ctx.issuer.not_after)
    if nb < cnb or na > cna:
        yield ctx.finding("GBCS-X104", f"the validity {nb:%Y-%m-%d} to {na:%Y-%m-%d} is not inside the CA's "
                          f"{cnb:%Y-%m-%d} to {cna:%Y-%m-%d}", ctx.cert.validity)

