"""Small DUIS documents and test organisations built on the spot (nothing read from ../shared)."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from gbcs.crypto import Keystore
from gbcs.crypto.keystore import _oids
from gbcs.crypto.testkeys import generate_keypair, make_certificate

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
SUPPLIER = "AB-00-00-00-00-01-00-00"
OPERATOR = "AB-00-00-00-00-02-00-00"
OTHER = "AB-00-00-00-00-07-00-00"
GSME = "AB-00-00-00-00-00-00-A1"
DCC = "90-B3-D5-1F-30-00-00-02"       # the DCC identifier of specs/duis.gbspec
XML_SIGNING = 0x87

GAS_FLOW = ("<sr:UpdateDeviceConfigurationGasFlow>"
            "<sr:UncontrolledGasFlowRateDecimal>{rate}</sr:UncontrolledGasFlowRateDecimal>"
            "<sr:SupplyDepletionState>Unchanged</sr:SupplyDepletionState>"
            "<sr:SupplyTamperState>Unchanged</sr:SupplyTamperState>"
            "<sr:StabilisationPeriod>60</sr:StabilisationPeriod>"
            "<sr:MeasurementPeriod>300</sr:MeasurementPeriod>"
            "</sr:UpdateDeviceConfigurationGasFlow>")
READ_REGISTERS = "<sr:ReadInstantaneousImportRegisters/>"


def request(variant: str = "6.7", body: str | None = None, *, cv: int = 4, originator: str = SUPPLIER,
            target: str = GSME, counter: int | str = 1002, reference: str | None = None,
            version: str = "5.4", extra: str = "") -> bytes:
    """A DUIS request as the DCC templates lay it out (pretty-printed, unsigned)."""
    body = GAS_FLOW.format(rate="6.1680") if body is None else body
    reference = reference or ".".join(variant.split(".")[:2])
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sr:Request xmlns:sr="{SR}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'schemaVersion="{version}">\n'
            f"  <sr:Header>\n"
            f"    <sr:RequestID>{originator}:{target}:{counter}</sr:RequestID>\n"
            f"    <sr:CommandVariant>{cv}</sr:CommandVariant>\n"
            f"    <sr:ServiceReference>{reference}</sr:ServiceReference>\n"
            f"    <sr:ServiceReferenceVariant>{variant}</sr:ServiceReferenceVariant>\n"
            f"  </sr:Header>\n"
            f"  <sr:Body>\n    {body}\n  </sr:Body>{extra}\n"
            f"</sr:Request>\n").encode()


def response(*, responder: str = GSME, user: str = SUPPLIER, counter: int = 1002, when: str,
             variant: str = "6.7") -> bytes:
    reference = ".".join(variant.split(".")[:2])
    return (f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
            f"<sr:RequestID>{user}:{responder}:{counter}</sr:RequestID>"
            f"<sr:ResponseID>{responder}:{user}:{counter}</sr:ResponseID>"
            f"<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>{when}</sr:ResponseDateTime>"
            f"</sr:Header><sr:Body><sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference>"
            f"<sr:ServiceReferenceVariant>{variant}</sr:ServiceReferenceVariant></sr:ResponseMessage>"
            f"</sr:Body></sr:Response>").encode()


def org_certificate(key: ec.EllipticCurvePrivateKey, eui: str, role: int, *, issuer_key, issuer_cn: str = "Z1",
                    not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> x509.Certificate:
    """An SMKI-shaped organisation certificate with a chosen validity period."""
    raw = bytes.fromhex(eui.replace("-", ""))
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"),
                         x509.NameAttribute(_oids()["x500_unique_identifier"], b"\x00" + raw,
                                            _type=_ASN1Type.BitString)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn),
                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07")])
    start = not_before or dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    end = not_after or dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(usage, critical=True).sign(issuer_key, hashes.SHA256()))


class Orgs:
    """Test organisations: each has an XML-signing key (OU 87) and a role certificate (DS)."""

    def __init__(self):
        self.issuer = generate_keypair()
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.certs: dict[str, x509.Certificate] = {}
        self.role_certs: dict[str, x509.Certificate] = {}
        for eui, role in ((SUPPLIER, 0x02), (OPERATOR, 0x03), (OTHER, 0x7F)):
            key = generate_keypair()
            self.keys[eui] = key
            self.certs[eui] = org_certificate(key, eui, XML_SIGNING, issuer_key=self.issuer)
            role_key = generate_keypair()
            self.role_certs[eui] = make_certificate(role_key, eui, "ds", device=False, role=role)

    def keystore(self, *euis: str, private: bool = True) -> Keystore:
        ks = Keystore()
        for eui in euis or tuple(self.keys):
            ks.add_key(eui, "ds", private_key=self.keys[eui] if private else None, certificate=self.certs[eui])
            ks.add_key(eui, "ds", certificate=self.role_certs[eui])
        return ks


@pytest.fixture(scope="session")
def orgs() -> Orgs:
    return Orgs()
