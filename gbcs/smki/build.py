"""Building SMKI-conformant certificates (test PKIs, examples, the linter's own tests).

`Template` holds every part of a certificate of one profile, filled with conforming values from
specs/smki.gbspec; change a part and `build()` it with cryptography's CertificateBuilder. For
defects the builder refuses (v1, zero serials, compressed points, duplicate extensions, ...),
`resign()` reassembles a certificate from edited TBS parts and signs it again.
These are TEST certificates: never use them for anything real.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type       # string types SMKI names need (BIT STRING, PrintableString)
from cryptography.x509.oid import NameOID

from gbcs.payload.asn1 import der_bit_string, der_explicit, der_sequence
from gbcs.smki.facts import Environment, fact, key_identifier, profiles, role_code
from gbcs.smki.parse import oid_of, parse_der

_UTC = _dt.timezone.utc


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def smki_key_identifier(key) -> bytes:
    """The GBCS (method 2) key identifier of a public key."""
    return key_identifier(_point(key))


def ca_name(cn: str, role: str = "issuing_authority") -> x509.Name:
    """OU = CA role code, CN = CA id, both PrintableString (as the sample OCA)."""
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role_code(role):02X}", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=_ASN1Type.PrintableString)])


def dca_name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=_ASN1Type.PrintableString)])


def organisation_name(eui: bytes, role: int, cn: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"))
    attrs.append(unique_identifier(eui))
    return x509.Name(attrs)


def unique_identifier(eui: bytes) -> x509.NameAttribute:
    # cryptography wants the BIT STRING contents, i.e. the unused-bits octet first
    return x509.NameAttribute(x509.ObjectIdentifier(oid_of("x500_unique_identifier")), b"\x00" + eui,
                              _type=_ASN1Type.BitString)


def hardware_module_name(eui: bytes, hw_type: str | None = None) -> x509.OtherName:
    from gbcs.payload.asn1 import der_octet_string, der_oid
    hw_type = hw_type or sorted(Environment.named("test").hw_types)[0]
    return x509.OtherName(x509.ObjectIdentifier(oid_of("id_on_hardware_module_name")),
                          der_sequence(der_oid(hw_type), der_octet_string(eui)))


def _key_usage_from_der(value: bytes) -> x509.KeyUsage:
    bits = value[3:] if len(value) > 3 else b"\x00"
    from gbcs.spec import specs
    rows = sorted(specs().enum("asn1_key_usage_bit").rows, key=lambda r: r.cells["value"])
    # cryptography calls nonRepudiation by its newer name, contentCommitment
    names = [{"non_repudiation": "content_commitment"}.get(r.cells["name"], r.cells["name"]) for r in rows]
    flags = {n: bool(bits[i // 8] & (0x80 >> (i % 8))) if i // 8 < len(bits) else False for i, n in enumerate(names)}
    return x509.KeyUsage(**flags)


@dataclass
class Template:
    """Every part of one certificate; `extensions` maps asn1_oid names to (value, critical), in order."""
    profile: str
    public_key: object
    subject: x509.Name
    issuer: x509.Name
    serial: int
    not_before: _dt.datetime
    not_after: _dt.datetime
    extensions: dict[str, tuple[x509.ExtensionType, bool]] = field(default_factory=dict)

    def set(self, name: str, value: x509.ExtensionType, critical: bool) -> "Template":
        self.extensions[name] = (value, critical)
        return self

    def drop(self, name: str) -> "Template":
        self.extensions.pop(name, None)
        return self

    def build(self, signing_key, algorithm=None) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(self.subject).issuer_name(self.issuer)
             .public_key(self.public_key).serial_number(self.serial)
             .not_valid_before(self.not_before).not_valid_after(self.not_after))
        for value, critical in self.extensions.values():
            b = b.add_extension(value, critical)
        return b.sign(signing_key, algorithm if algorithm is not None else hashes.SHA256())

    def der(self, signing_key, algorithm=None) -> bytes:
        return self.build(signing_key, algorithm).public_bytes(serialization.Encoding.DER)


def _serial(seed: bytes) -> int:
    """A 16-octet positive serial with the top bit clear, from the key (reproducible)."""
    import hashlib
    raw = bytearray(hashlib.sha256(seed).digest()[:fact("serial_length")])
    raw[0] = (raw[0] & 0x7F) | 0x40
    return int.from_bytes(raw, "big")


def template(profile: str, public_key, *, eui: bytes | None = None, role: int | None = None,
             issuer: x509.Certificate | None = None, issuer_name: x509.Name | None = None,
             issuer_key=None, cn: str | None = None, environment: Environment | None = None,
             not_before: _dt.datetime | None = None) -> Template:
    """A conforming certificate of `profile` for `public_key`.

    The issuer comes from the CA certificate `issuer` (its subject and SKI), or `issuer_name` and
    `issuer_key` (a public key, for the AKI). A root issues itself.
    """
    env = environment or Environment.named("test")
    p = profiles()[profile]
    family = p["family"]
    nb = not_before or _dt.datetime(2020, 1, 1, tzinfo=_UTC)
    ski = smki_key_identifier(public_key)
    if issuer is not None:
        issuer_name = issuer.subject
        aki_id = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    elif profile == "root":
        issuer_name, aki_id = None, ski
    else:
        if issuer_key is None:
            raise ValueError("give the issuing CA certificate, or issuer_name and issuer_key")
        aki_id = smki_key_identifier(issuer_key)
    policy = sorted(env.policies.get(family) or ())
    ku = _key_usage_from_der(p["key_usage"])
    ext: dict[str, tuple[x509.ExtensionType, bool]] = {}
    if family == "device":
        subject = x509.Name([])
        issuer_name = issuer_name or dca_name(sorted(env.issuers["device"])[0])
        not_after = _dt.datetime.strptime(fact("device_not_after"), "%Y%m%d%H%M%SZ").replace(tzinfo=_UTC)
        ext["key_usage"] = (ku, True)
        ext["subject_key_identifier"] = (x509.SubjectKeyIdentifier(ski), False)
        ext["subject_alt_name"] = (x509.SubjectAlternativeName([hardware_module_name(eui)]), True)
    elif family == "organisation":
        subject = organisation_name(eui, role if role is not None else role_code("supplier"), cn)
        issuer_name = issuer_name or ca_name(sorted(env.issuers["organisation"])[0])
        not_after = nb.replace(year=nb.year + 10) - _dt.timedelta(seconds=1)
        ext["key_usage"] = (ku, True)
        ext["subject_key_identifier"] = (x509.SubjectKeyIdentifier(ski), False)
    else:
        role_name = "root" if profile == "root" else "issuing_authority"
        subject = ca_name(cn or ("ZA" if profile == "root" else "Z1"), role_name)
        if profile == "root":
            issuer_name = subject
        not_after = nb.replace(year=nb.year + 25) - _dt.timedelta(seconds=1)
        ext["key_usage"] = (ku, True)
        path = None if profile == "root" else fact("issuing_ca_path_length")
        ext["basic_constraints"] = (x509.BasicConstraints(ca=True, path_length=path), True)
    ext["certificate_policies"] = (x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(policy[0]), None)]), True)
    if family == "ca":
        ext["subject_key_identifier"] = (x509.SubjectKeyIdentifier(ski), False)
    ext["authority_key_identifier"] = (x509.AuthorityKeyIdentifier(aki_id, None, None), False)
    return Template(profile, public_key, subject, issuer_name, _serial(_point(public_key) + profile.encode()),
                    nb, not_after, ext)


# -- DER-level edits, for defects cryptography's builder refuses ------------------------

def tbs_parts(der: bytes) -> list[bytes]:
    """The DER of each TBSCertificate component, in order."""
    cert = parse_der(der)
    return [el.der for el in cert.tbs.children]


def extension_parts(der: bytes) -> list[bytes]:
    return [e.element.der for e in parse_der(der).extensions]


def extensions_field(extension_ders: list[bytes]) -> bytes:
    return der_explicit(3, der_sequence(*extension_ders))


def resign(parts: list[bytes], signing_key, *, outer_algorithm: bytes | None = None) -> bytes:
    """A certificate of these TBS parts, signed with ECDSA/SHA-256 by `signing_key`."""
    from gbcs.payload.asn1 import der_oid
    standard = der_sequence(der_oid(oid_of(fact("signature_algorithm"))))
    tbs = der_sequence(*parts)
    signature = signing_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return der_sequence(tbs, outer_algorithm or standard, der_bit_string(signature))
