"""Reading one certificate: PEM or DER in, a Certificate of located DER parts out.

The DER is walked by the project's strict DER walker (gbcs/payload/asn1.py, X.509 types in
specs/asn1.gbspec), so every part keeps its offset and dotted path for findings, and string
types, time types and explicit defaults stay visible (python cryptography hides them).
Anything that is not a certificate raises CertificateError saying what it looks like.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from functools import cached_property

from gbcs.errors import CertificateError, DecodeError
from gbcs.message import Node
from gbcs.payload.asn1 import _oid_text, decode_der
from gbcs.wire.codecs import universal_tag as _universal_tag
from gbcs.spec import specs
from gbcs.wire.backend import Walker

MAX_CERTIFICATE_BYTES = 64 * 1024      # SMKI certificates are under 1 KiB; refuse huge blobs early

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_KEY_LABELS = {b"PUBLIC KEY": "a bare public key (PEM PUBLIC KEY)",
               b"EC PRIVATE KEY": "a private key (PEM EC PRIVATE KEY)",
               b"PRIVATE KEY": "a private key (PEM PRIVATE KEY)",
               b"ENCRYPTED PRIVATE KEY": "an encrypted private key",
               b"CERTIFICATE REQUEST": "a certification request (PKCS#10), not a certificate",
               b"EC PARAMETERS": "EC domain parameters"}



def universal_tag(name: str) -> int:
    """The identifier octet of a universal type named in specs/asn1.gbspec (asn1_universal x680)."""
    return _universal_tag(specs(), name)


def tag_title(tag: int) -> str:
    """A universal tag's title (e.g. "PrintableString"), for messages."""
    for r in specs().get("asn1_universal", "x680").rows:
        if r.cells["number"] == tag & 0x1F and not tag & 0xC0:
            return r.cells["title"]
    return f"tag 0x{tag:02X}"


# Universal tags met while reading a certificate
T_BOOLEAN, T_INTEGER, T_BIT_STRING, T_OCTET_STRING, T_NULL, T_OID = (universal_tag(n) for n in (
    "BOOLEAN", "INTEGER", "BIT_STRING", "OCTET_STRING", "NULL", "OBJECT_IDENTIFIER"))
T_UTF8, T_PRINTABLE, T_UTC_TIME, T_GENERALIZED_TIME, T_SEQUENCE, T_SET = (universal_tag(n) for n in (
    "UTF8String", "PrintableString", "UTCTime", "GeneralizedTime", "SEQUENCE", "SET"))


def oid_of(name: str) -> str:
    """The dotted OID of a name in specs/asn1.gbspec (asn1_oid x509)."""
    return specs().derived(_oid_names)[name]


def name_of_oid(dotted: str) -> str | None:
    return specs().derived(_oid_by_value).get(dotted)


def _oid_names(s) -> dict[str, str]:
    return {r.cells["name"]: r.cells["oid"] for r in s.get("asn1_oid", "x509").rows}


def _oid_by_value(s) -> dict[str, str]:
    return {r.cells["oid"]: r.cells["name"] for r in s.get("asn1_oid", "x509").rows}


class Element:
    """One DER element of the walked tree: its tag byte, contents, sub-elements and place."""
    __slots__ = ("node", "data", "path")

    def __init__(self, node: Node, data: bytes, path: str):
        self.node, self.data, self.path = node, data, path

    @property
    def start(self) -> int:
        return self.node.start

    @property
    def end(self) -> int:
        return self.node.end

    @property
    def tag(self) -> int:
        return self.data[self.node.start]

    @property
    def header_end(self) -> int:
        return self.node.children[1].end

    @property
    def content(self) -> bytes:
        return self.data[self.header_end:self.end]

    @property
    def der(self) -> bytes:
        return self.data[self.start:self.end]

    @property
    def children(self) -> list["Element"]:
        return [Element(c, self.data, f"{self.path}.{c.name}") for c in self.node.children or () if not c.is_leaf]

    @property
    def oid(self) -> str:
        return _oid_text(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("latin-1")


@dataclass
class Attribute:
    oid: str
    value: Element          # the value element (its tag is the string type)
    rdn_size: int           # attributes in the RDN that holds it

    @property
    def tag(self) -> int:
        return self.value.tag


@dataclass
class Extension:
    oid: str
    critical: bool
    critical_encoded: bool  # a BOOLEAN is written (DER omits a FALSE one)
    element: Element        # the Extension SEQUENCE
    octets: Element         # the OCTET STRING extnValue
    problem: str | None = None   # why the value is not the DER of its type, when it is not

    @property
    def value(self) -> bytes:
        return self.octets.content

    @property
    def inner(self) -> Element | None:
        """The extension value as walked DER, or None when it did not parse as its type."""
        kids = self.octets.children
        return kids[0] if kids else None

    @property
    def name(self) -> str:
        return name_of_oid(self.oid) or self.oid


@dataclass
class Certificate:
    """The parts of one certificate, each with its offset (relative to `der`)."""
    der: bytes
    root: Element
    tbs: Element
    version: int | None                      # None: the [0] version is absent (v1)
    version_element: Element | None
    serial: Element
    tbs_algorithm: Element
    issuer: Element
    validity: Element
    subject: Element
    spki: Element
    issuer_unique_id: Element | None
    subject_unique_id: Element | None
    extensions: list[Extension]
    signature_algorithm: Element
    signature_value: Element
    source: str | None = None
    notes: list[str] = field(default_factory=list)

    # -- convenience views --------------------------------------------------------------
    def rdns(self, name: Element) -> list[list[Attribute]]:
        out = []
        for rdn in name.children:
            attrs = rdn.children
            out.append([Attribute(a.children[0].oid, a.children[1], len(attrs)) for a in attrs])
        return out

    @cached_property
    def issuer_rdns(self) -> list[list[Attribute]]:
        return self.rdns(self.issuer)

    @cached_property
    def subject_rdns(self) -> list[list[Attribute]]:
        return self.rdns(self.subject)

    def subject_attributes(self, name: str) -> list[Attribute]:
        oid = oid_of(name)
        return [a for rdn in self.subject_rdns for a in rdn if a.oid == oid]

    def issuer_attributes(self, name: str) -> list[Attribute]:
        oid = oid_of(name)
        return [a for rdn in self.issuer_rdns for a in rdn if a.oid == oid]

    def extension(self, name: str) -> Extension | None:
        oid = oid_of(name)
        return next((e for e in self.extensions if e.oid == oid), None)

    @property
    def not_before(self) -> Element:
        return self.validity.children[0]

    @property
    def not_after(self) -> Element:
        return self.validity.children[1]

    @property
    def key_algorithm(self) -> Element:
        return self.spki.children[0]

    @property
    def public_key_bits(self) -> bytes:
        """The subjectPublicKey BIT STRING contents after the unused-bits octet."""
        return self.spki.children[1].content[1:]

    @property
    def tbs_der(self) -> bytes:
        return self.tbs.der

    @property
    def signature_bytes(self) -> bytes:
        return self.signature_value.content[1:]

    @property
    def ca_flag(self) -> bool:
        """basicConstraints says cA TRUE."""
        ext = self.extension("basic_constraints")
        parts = ext.inner.children if ext is not None and ext.inner is not None else []
        return bool(parts and parts[0].tag == T_BOOLEAN and parts[0].content != b"\x00")

    @property
    def self_issued(self) -> bool:
        return self.issuer.der == self.subject.der

    # -- identity (for reports and profile detection) ---------------------------------
    @cached_property
    def key_usage_bits(self) -> set[str] | None:
        """Names of the keyUsage bits asserted (asn1_key_usage_bit), or None without keyUsage."""
        ext = self.extension("key_usage")
        if ext is None or ext.inner is None or ext.inner.tag != T_BIT_STRING:
            return None
        raw = ext.inner.content
        if not raw:
            return set()
        names = {r.cells["value"]: r.cells["name"] for r in specs().enum("asn1_key_usage_bit").rows}
        bits = raw[1:]
        return {names.get(i, f"bit {i}") for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))}

    @cached_property
    def hardware_module_names(self) -> list[tuple[Element, Element | None, Element | None]]:
        """(otherName, hwType OID, hwSerialNum) of each SAN otherName hardwareModuleName."""
        ext = self.extension("subject_alt_name")
        out = []
        if ext is None or ext.inner is None:
            return out
        for gn in ext.inner.children:
            if gn.tag != 0xA0:
                continue
            kids = gn.children
            if len(kids) < 2 or kids[0].tag != T_OID or kids[0].oid != oid_of("id_on_hardware_module_name"):
                continue
            wrapped = kids[1].children
            parts = wrapped[0].children if wrapped and wrapped[0].tag == T_SEQUENCE else []
            hw_type = parts[0] if len(parts) > 0 and parts[0].tag == T_OID else None
            serial = parts[1] if len(parts) > 1 and parts[1].tag == T_OCTET_STRING else None
            out.append((gn, hw_type, serial))
        return out

    @cached_property
    def eui(self) -> bytes | None:
        """The entity the certificate names: device hwSerialNum, or organisation uniqueIdentifier."""
        for _, _, serial in self.hardware_module_names:
            if serial is not None:
                return serial.content
        for a in self.subject_attributes("x500_unique_identifier"):
            if a.tag == T_BIT_STRING and a.value.content[:1] == b"\x00":
                return a.value.content[1:]
        return None

    @cached_property
    def role(self) -> int | None:
        """The Remote Party Role of the subject OU, when it is a hex code."""
        for a in self.subject_attributes("organizational_unit_name"):
            text = a.value.text
            if re.fullmatch(r"[0-9A-Fa-f]{1,2}", text):
                return int(text, 16)
        return None

    @cached_property
    def issuer_cn(self) -> str | None:
        cns = self.issuer_attributes("common_name")
        return cns[0].value.text if cns else None


# ======================================================================================

def certificate_blobs(data: bytes | str) -> list[tuple[bytes | None, str | None]]:
    """(DER, None) for each certificate in PEM text or a DER blob; (None, why) for other PEM blocks."""
    if isinstance(data, str):
        data = data.encode("latin-1", errors="replace")
    stripped = data.lstrip()
    if stripped.startswith(b"-----BEGIN") or (b"-----BEGIN " in data[:4096] and data[:1] != b"\x30"):
        out: list[tuple[bytes | None, str | None]] = []
        for m in _PEM_RE.finditer(stripped):
            label, body = m.group(1), m.group(2)
            if label in _KEY_LABELS:
                out.append((None, f"this is {_KEY_LABELS[label]}, not a certificate"))
                continue
            if label not in (b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"):
                out.append((None, f"a PEM block labelled {label.decode('ascii', 'replace')!r}, not a CERTIFICATE"))
                continue
            try:
                out.append((base64.b64decode(b"".join(body.split()), validate=True), None))
            except (binascii.Error, ValueError):
                out.append((None, "a PEM CERTIFICATE block whose base64 does not decode"))
        return out or [(None, "PEM text with no complete -----BEGIN/END----- block")]
    return [(bytes(data), None)]


def parse_certificate(data: bytes | str, source: str | None = None) -> Certificate:
    """One certificate from DER or PEM. Raises CertificateError for anything else."""
    blobs = certificate_blobs(data)
    if len(blobs) != 1:
        raise CertificateError(f"the input holds {len(blobs)} PEM blocks; give one certificate "
                               "(gbcs cert lint reads every block of a file)")
    der, why = blobs[0]
    if der is None:
        raise CertificateError(why)
    return parse_der(der, source)


def parse_der(der: bytes, source: str | None = None) -> Certificate:
    if not der:
        raise CertificateError("the input is empty; give a DER or PEM certificate")
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise CertificateError(f"{len(der)} bytes is far more than any SMKI certificate (under 1 KiB); "
                               "this is not a certificate")
    if der[0] != T_SEQUENCE:
        looks = "text" if all(32 <= b < 127 or b in b"\r\n\t" for b in der[:64]) else "binary data"
        raise CertificateError(f"starts with byte 0x{der[0]:02X}, not a DER SEQUENCE (0x30): {looks} that is "
                               "not a DER or PEM certificate", 0, "certificate.tag")
    w = Walker(der)
    notes: list[str] = []
    try:
        node = decode_der(w, "certificate", "Certificate", notes)
    except DecodeError as exc:
        where = _short_path(exc.field or "certificate")
        raise CertificateError(f"not valid DER: {where} {exc.message}", exc.offset, where) from None
    if w.pos != len(der):
        raise CertificateError(f"{len(der) - w.pos} bytes follow the certificate's DER SEQUENCE; "
                               "give one certificate per input", w.pos, "certificate")
    top = Element(node, der, "certificate")
    if node.get("tbs_certificate") is None:        # the walker fell back to generic names
        what = _what_it_is(top)
        detail = "" if "public key" in what or "private key" in what else \
            f" ({notes[0] if notes else 'no TBSCertificate'})"
        raise CertificateError(what + detail, 0, "certificate")
    cert = _read(top, source)
    cert.notes = notes                              # parts kept as bytes (e.g. a BER signature value)
    for ext in cert.extensions:
        ext.problem = next((n.split(f"offset {ext.octets.start} ", 1)[1].split(";")[0] for n in notes
                            if f"extn_value at offset {ext.octets.start} " in n), None)
    return cert


def _short_path(path: str) -> str:
    """A dotted path with long runs of one repeated step folded (hostile nesting)."""
    def fold(m):
        step = m.group(1)
        return f"{step}×{len(m.group(0)) // len(step)}"
    return re.sub(r"(\.[^.]+?)\1{3,}", fold, path)


def _what_it_is(top: Element) -> str:
    kids = top.children
    tags = [k.tag for k in kids]
    if tags == [T_SEQUENCE, T_BIT_STRING]:
        return "this is a bare public key (SubjectPublicKeyInfo), not a certificate"
    if tags[:1] == [T_INTEGER] and (T_OCTET_STRING in tags):
        return "this looks like a private key, not a certificate"
    if tags == [T_SEQUENCE, T_SEQUENCE, T_BIT_STRING]:
        return "a signed SEQUENCE whose structure is not an RFC 5280 certificate"
    return "DER that is not an X.509 certificate"


def _read(top: Element, source: str | None) -> Certificate:
    tbs, alg, sig = top.children
    items = tbs.children
    i = 0
    version = version_el = None
    if items[0].tag == 0xA0:
        version_el = items[0].children[0]
        version = int.from_bytes(version_el.content, "big", signed=True)
        i = 1
    serial, tbs_alg, issuer, validity, subject, spki = items[i:i + 6]
    issuer_uid = subject_uid = None
    extensions: list[Extension] = []
    for el in items[i + 6:]:
        if el.tag in (0x81, 0xA1):
            issuer_uid = el
        elif el.tag in (0x82, 0xA2):
            subject_uid = el
        elif el.tag == 0xA3:
            for ext in el.children[0].children:
                parts = ext.children
                crit = parts[1] if len(parts) == 3 else None
                extensions.append(Extension(parts[0].oid, bool(crit and crit.content != b"\x00"),
                                            crit is not None, ext, parts[-1]))
    return Certificate(top.der, top, tbs, version, version_el, serial, tbs_alg, issuer, validity, subject,
                       spki, issuer_uid, subject_uid, extensions, alg, sig, source)


def time_value(el: Element):
    """A Validity time as an aware datetime (UTCTime years per RFC 5280 4.1.2.5.1)."""
    from datetime import datetime, timezone
    text = el.text.rstrip("Z").split(".")[0]
    if el.tag == T_UTC_TIME:
        yy = int(text[:2])
        text = f"{1900 + yy if yy >= 50 else 2000 + yy}{text[2:]}"
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
