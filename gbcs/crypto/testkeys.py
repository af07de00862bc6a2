"""Keys and SMKI-like certificates made on the spot, so tests and examples need no real keystore.

Certificates carry the EUI where SMKI puts it: a device's in the subjectAltName otherName
(hardwareModuleName, hwSerialNum = EUI), an organisation's in the subject uniqueIdentifier
(with the role as OU). They are self-signed (or signed by `issuer_key`): fit for tests only.
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gbcs.crypto.keystore import _oids, normalise_eui
from gbcs.crypto.signing import private_key_pem


def generate_keypair() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key pair (the private key object; .public_key() gives the public half)."""
    return ec.generate_private_key(ec.SECP256R1())


def _hardware_module_name(eui: bytes) -> bytes:
    from gbcs.payload.asn1 import der_octet_string, der_oid, der_sequence
    return der_sequence(der_oid(_oids()["smki_hw_type"].dotted_string), der_octet_string(eui))


def make_certificate(private_key: ec.EllipticCurvePrivateKey, eui: bytes | str, usage: str, *,
                     device: bool = True, role: int = 2, name: str | None = None,
                     issuer_key: ec.EllipticCurvePrivateKey | None = None) -> x509.Certificate:
    """An SMKI-shaped certificate for `private_key`'s public half: usage 'ds' or 'ka'."""
    raw = normalise_eui(eui)
    ku = dict(digital_signature=usage == "ds", content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=usage == "ka", key_cert_sign=False, crl_sign=False,
              encipher_only=False, decipher_only=False)
    if device:
        subject = x509.Name([])
    else:
        from cryptography.x509.name import _ASN1Type     # the BIT STRING form SMKI uses
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name)] if name else []
        attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"),
                  x509.NameAttribute(_oids()["x500_unique_identifier"], b"\x00" + raw,
                                     _type=_ASN1Type.BitString)]
        subject = x509.Name(attrs)
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST")])
    now = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now).not_valid_after(now.replace(year=2099))
         .add_extension(x509.KeyUsage(**ku), critical=True))
    if device:
        san = x509.OtherName(_oids()["id_on_hardware_module_name"], _hardware_module_name(raw))
        b = b.add_extension(x509.SubjectAlternativeName([san]), critical=True)
    return b.sign(issuer_key or private_key, hashes.SHA256())


def write_keystore(folder: str | os.PathLike, keys: dict, *, with_private: bool = True) -> Path:
    """Write keys in the RTDS layout: keys = {(eui, usage, prepayment): (private_key, certificate)}.

    `certificate` may be None (then only the .key is written).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for (eui, usage, pp), (key, cert) in keys.items():
        stem = f"{normalise_eui(eui).hex()}{'-pp' if pp else ''}-{usage}"
        if cert is not None:
            (out / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        if with_private and key is not None:
            (out / f"{stem}.key").write_bytes(private_key_pem(key))
    return out
