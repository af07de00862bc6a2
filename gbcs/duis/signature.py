"""XML signatures as DUIS uses them (duis-notes §7), made and checked with signxml.

Profile: enveloped, exactly one Reference with URI="" and only the enveloped transform (so the
document is digested with inclusive C14N 1.0), SHA-256, SignedInfo in exclusive C14N, ECDSA
P-256/SHA-256 as raw r||s, KeyInfo = X509IssuerSerial with a decimal serial, no certificate in
the message. The certificate comes from the trusted keystore only; KeyInfo is merely the lookup
key, and identity is bound to the RequestID originator.

Whitespace-only text between elements is removed before digesting (DUIS content has no mixed
text), so a pretty-printed copy of a signed document verifies; signing emits compact XML.
"""
from __future__ import annotations

import base64
import binascii
import copy
import datetime as _dt
import time
from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree
from signxml import (CanonicalizationMethod, DigestAlgorithm, SignatureConfiguration, SignatureMethod,
                     XMLSigner, XMLVerifier)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature, SignXMLException
from dataclasses import replace

from gbcs.crypto.keystore import (KeyEntry, Keystore, certificate_eui, certificate_role, certificate_usage,
                                  normalise_eui)
from gbcs.duis.document import DuisDocument, RequestId, eui_text, read_document
from gbcs.duis.variants import duis_facts
from gbcs.errors import DuisSigningError
from gbcs.findings import Finding, finding
from gbcs.spec import specs

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass
class SignatureResult:
    status: str                          # valid | invalid | absent | no-key | unchecked
    signer: str | None = None            # EUI text of the signing certificate
    role: int | None = None              # remote-party role code of that certificate (OU)
    user_roles: frozenset[str] = frozenset()
    findings: list[Finding] = field(default_factory=list)
    verified_xml: bytes | None = None    # the canonical bytes actually digested (valid only)


def _ds(name: str) -> str:
    return f"{{{duis_facts().constant('dsig_namespace')}}}{name}"


def compact(root: etree._Element) -> etree._Element:
    """A copy without whitespace-only text between elements (what DUIS signers digest)."""
    out = copy.deepcopy(root)
    for element in out.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return out


def _xml_signing_roles() -> frozenset[int]:
    return frozenset(r.cells["value"] for r in specs().enum("non_gbcs_role").rows)


# -- verification ------------------------------------------------------------------------

def verify(doc: DuisDocument, keystore: Keystore | None, *, user_roles: dict[bytes, set[str]] | None = None,
           now: _dt.datetime | None = None, dcc_eui: bytes | None = None) -> SignatureResult:
    """Check the document's XML signature; findings say why it is not valid."""
    sigs = doc.signatures
    if not sigs:
        if doc.kind == "Request":
            return SignatureResult("absent", findings=[finding(
                "GBCS-U012", "the request is not signed; sign it with `gbcs duis sign`", field="Signature")])
        return SignatureResult("absent")       # unsigned responses exist (DCC acknowledgements)
    problem = _profile_problem(doc)
    if problem:
        return SignatureResult("invalid", findings=[finding("GBCS-U014", problem, field="Signature")])
    issuer, serial = _key_info(sigs[0])
    if keystore is None:
        return SignatureResult("unchecked")
    entry = find_certificate(keystore, issuer, serial)
    if entry is None:
        return SignatureResult("no-key", findings=[finding(
            "GBCS-U015", f"no trusted certificate with issuer {issuer!r} and serial {serial} is in the keystore; "
            "add the signer's XML-signing certificate with --keys", field="Signature/KeyInfo")])
    cert = entry.certificate
    if certificate_usage(cert) not in (None, "ds"):
        return SignatureResult("no-key", findings=[finding(
            "GBCS-U015", f"the certificate with serial {serial} is not a signing certificate (key usage "
            f"{certificate_usage(cert)}); DUIS documents are signed with digital-signature keys",
            field="Signature/KeyInfo")])
    eui, _ = certificate_eui(cert)
    eui = eui or entry.eui
    role = certificate_role(cert)
    result = SignatureResult("invalid", eui_text(eui), role)
    at, validity = _judge_time(cert, doc, now)
    result.findings.extend(validity)
    if any(f.severity == "error" for f in validity):
        return result
    config = SignatureConfiguration(
        require_x509=True, expect_references=1, verification_time=at,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0)
    try:
        verified = XMLVerifier().verify(compact(doc.root), x509_cert=cert, expect_config=config)
    except (InvalidSignature, InvalidDigest) as exc:
        result.findings.append(finding("GBCS-U013", f"signature by {result.signer} does not verify: {exc}; the "
                                       "document or its signature was changed after signing", field="Signature"))
        return result
    except (InvalidCertificate, InvalidInput, SignXMLException, ValueError) as exc:
        result.findings.append(finding("GBCS-U013", f"signature cannot be verified: {exc}", field="Signature"))
        return result
    result.status = "valid"
    result.verified_xml = etree.tostring(verified.signed_xml) if verified.signed_xml is not None else None
    result.user_roles = signer_user_roles(keystore, eui, user_roles)
    result.findings.extend(_binding(doc, eui, result, dcc_eui or normalise_eui(duis_facts().constant("dcc_eui"))))
    return result


def _profile_problem(doc: DuisDocument) -> str | None:
    """Why the signature is not in the DUIS profile (signature wrapping, algorithm confusion), or None."""
    facts = duis_facts()
    sigs = doc.signatures
    if len(sigs) != 1:
        return f"{len(sigs)} Signature elements; a DUIS document has exactly one"
    sig = sigs[0]
    children = [c for c in doc.root if isinstance(c.tag, str)]
    if sig.getparent() is not doc.root or children[-1] is not sig:
        return "the Signature must be the last child of the root element"
    info = sig.find(_ds("SignedInfo"))
    if info is None:
        return "the Signature has no SignedInfo"
    c14n = info.find(_ds("CanonicalizationMethod"))
    method = info.find(_ds("SignatureMethod"))
    refs = info.findall(_ds("Reference"))
    if c14n is None or c14n.get("Algorithm") != facts.constant("c14n_method") or len(c14n):
        return f"CanonicalizationMethod must be {facts.constant('c14n_method')}"
    if method is None or method.get("Algorithm") != facts.constant("signature_method"):
        got = method.get("Algorithm") if method is not None else "none"
        return f"SignatureMethod {got} is not {facts.constant('signature_method')}"
    if len(refs) != 1 or refs[0].get("URI") != "":
        return "SignedInfo must hold exactly one Reference with URI=\"\" (the whole document)"
    transforms = refs[0].findall(f"{_ds('Transforms')}/{_ds('Transform')}")
    if [t.get("Algorithm") for t in transforms] != [facts.constant("enveloped_transform")]:
        return "the Reference must have exactly one transform, the enveloped-signature transform"
    digest = refs[0].find(_ds("DigestMethod"))
    if digest is None or digest.get("Algorithm") != facts.constant("digest_method"):
        return f"DigestMethod must be {facts.constant('digest_method')}"
    value = "".join((sig.findtext(_ds("SignatureValue")) or "").split())
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "SignatureValue is not base64"
    if len(raw) != 64:
        return f"SignatureValue holds {len(raw)} bytes; ECDSA P-256 r||s is 64"
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return "SignatureValue r or s is out of range for P-256"
    issuer, serial = _key_info(sig)
    if issuer is None or serial is None:
        return "KeyInfo must name the signer by X509IssuerSerial (issuer name and decimal serial number)"
    return None


def _key_info(sig: etree._Element) -> tuple[str | None, int | None]:
    node = sig.find(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509IssuerSerial')}")
    if node is None:
        return None, None
    issuer = (node.findtext(_ds("X509IssuerName")) or "").strip() or None
    serial_text = (node.findtext(_ds("X509SerialNumber")) or "").strip()
    serial = int(serial_text) if serial_text.isdigit() and len(serial_text) <= 50 else None
    return issuer, serial


def _name_key(text: str) -> frozenset[tuple[str, str]]:
    """An RFC 2253/4514 name as a set of (TYPE, value) pairs: order and spacing do not matter."""
    pairs = set()
    for part in text.split(","):
        key, _, value = part.partition("=")
        pairs.add((key.strip().upper(), value.strip()))
    return frozenset(pairs)


def find_certificate(keystore: Keystore, issuer: str | None, serial: int | None) -> KeyEntry | None:
    """The keystore certificate with this issuer and serial (the only trusted way to a signer)."""
    if issuer is None or serial is None:
        return None
    wanted = _name_key(issuer)
    for entry in keystore:
        cert = entry.certificate
        if cert is None or cert.serial_number != serial:
            continue
        if _name_key(cert.issuer.rfc4514_string()) == wanted:
            return entry
    return None


def _judge_time(cert: x509.Certificate, doc: DuisDocument,
                now: _dt.datetime | None) -> tuple[_dt.datetime, list[Finding]]:
    """When to judge the certificate: the document's own date-time, else now; expiry now is a warning."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    found = []
    own = doc.own_datetime
    if own is not None and not start <= own <= end:
        found.append(finding("GBCS-U018", f"the signer's certificate (valid {start:%Y-%m-%d} to {end:%Y-%m-%d}) "
                             f"was not valid at the document's date-time {own.isoformat()}", field="Signature"))
        return own, found
    if not start <= now <= end:
        state = "expired" if now > end else "is not yet valid"
        judged = f"the document's date-time {own.isoformat()}" if own else "the certificate's validity period"
        found.append(finding("GBCS-U019", f"the signer's certificate {state} at run time (valid {start:%Y-%m-%d} "
                             f"to {end:%Y-%m-%d}); the signature was judged at {judged}", field="Signature"))
        return own or start, found
    return own or now, found


def signer_user_roles(keystore: Keystore, eui: bytes, extra: dict[bytes, set[str]] | None) -> frozenset[str]:
    """User roles the signer may hold: its certificates' remote-party roles, plus any given explicitly."""
    party = duis_facts().party_roles
    roles: set[str] = set((extra or {}).get(eui, ()))
    for usage in ("ds", "ka"):
        for entry in keystore.find(eui, usage, include_non_gbcs=True):
            role = certificate_role(entry.certificate) if entry.certificate is not None else entry.role
            roles |= party.get(role, frozenset())
    return frozenset(roles)


def _binding(doc: DuisDocument, eui: bytes, result: SignatureResult, dcc: bytes) -> list[Finding]:
    out = []
    if doc.kind != "Request":
        if eui != dcc:
            out.append(finding("GBCS-U016", f"a {doc.kind} is signed by the DCC ({eui_text(dcc)}), not by "
                               f"{eui_text(eui)}", field="Signature"))
        return out
    rid = doc.request_id
    if rid is not None and rid.originator != eui:
        out.append(finding("GBCS-U016", f"signed by {eui_text(eui)}, but the RequestID originator is "
                           f"{eui_text(rid.originator)}; a user signs only its own requests",
                           field="Header/RequestID"))
    variant = duis_facts().variants.get(doc.service_reference_variant or "")
    if variant is not None:
        if not variant.roles:
            out.append(finding("GBCS-U017", f"{variant.variant} ({variant.title}) lists no eligible user roles; "
                               "it is refused unless the DUIS document says who may send it", field="Signature"))
        elif not (variant.roles & result.user_roles):
            held = " ".join(sorted(result.user_roles)) or "none known"
            out.append(finding("GBCS-U017", f"{variant.variant} ({variant.title}) may be sent by "
                               f"{' '.join(sorted(variant.roles))}; the signer {eui_text(eui)} holds {held}",
                               field="Signature"))
    return out


# -- signing -----------------------------------------------------------------------------

class _DuisSigner(XMLSigner):
    """signxml's enveloped signer, with the one URI="" reference digested in inclusive C14N 1.0.

    DUIS names no canonicalisation transform on the reference, so by XMLDSig its digest is over
    inclusive C14N 1.0 while SignedInfo uses exclusive C14N; signxml would use one for both.
    """

    def _unpack(self, data, references):
        sig_root, doc_root, c14n_inputs, refs = super()._unpack(data, None)
        refs = [replace(r, c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0) for r in refs]
        return sig_root, doc_root, c14n_inputs, refs


def signing_key(keystore: Keystore, signer: bytes | str, role: int | None = None) -> KeyEntry:
    """The signer's private key with a certificate: an XML-signing one first, else its DS key."""
    eui = normalise_eui(signer)
    candidates = [e for e in keystore.find(eui, "ds", role=role, include_non_gbcs=True)
                  if e.has_private and e.certificate is not None]
    if not candidates:
        what = f" with role {role:#04x}" if role is not None else ""
        raise DuisSigningError(f"missing key material: no private key with a certificate for {eui_text(eui)}{what} "
                               "in the keystore; give --keys with that organisation's XML-signing key")
    xml_roles = _xml_signing_roles()
    candidates.sort(key=lambda e: certificate_role(e.certificate) not in xml_roles)
    return candidates[0]


def sign(data: bytes | DuisDocument, keystore: Keystore, signer: bytes | str, *, role: int | None = None,
         counter: int | None = None, keep_counter: bool = False, source: str = "input") -> bytes:
    """Sign a DUIS request: old signatures removed, counter set (DCC Boxed: epoch ms), compact output."""
    doc = data if isinstance(data, DuisDocument) else read_document(data, source)
    eui = normalise_eui(signer)
    rid = doc.request_id
    if doc.kind != "Request" or rid is None:
        raise DuisSigningError(f"{source}: only a DUIS Request with a valid RequestID can be signed"
                               + (f" ({doc.request_id_problem})" if doc.request_id_problem else ""))
    if rid.originator != eui:
        raise DuisSigningError(f"{source}: the RequestID originator is {eui_text(rid.originator)}, not the signer "
                               f"{eui_text(eui)}; a user signs only its own requests")
    root = compact(doc.root)
    if not keep_counter:
        new = RequestId(rid.originator, rid.target, counter if counter is not None else time.time_ns() // 10**6)
        ns = duis_facts().constant("namespace")
        root.find(f"{{{ns}}}Header/{{{ns}}}RequestID").text = str(new)
    return sign_tree(root, signing_key(keystore, eui, role))


def sign_tree(root: etree._Element, entry: KeyEntry) -> bytes:
    """Sign any DUIS root (a request, or a response as the DCC signs it) with one key: compact output.

    The caller chooses the key; `sign` is the checked way for requests.
    """
    root = compact(root)
    for sig in list(root.iter(_ds("Signature"))):
        sig.getparent().remove(sig)
    cert = entry.certificate
    key_info = etree.Element(_ds("KeyInfo"), nsmap={"ds": duis_facts().constant("dsig_namespace")})
    issuer_serial = etree.SubElement(etree.SubElement(key_info, _ds("X509Data")), _ds("X509IssuerSerial"))
    etree.SubElement(issuer_serial, _ds("X509IssuerName")).text = cert.issuer.rfc4514_string()
    etree.SubElement(issuer_serial, _ds("X509SerialNumber")).text = str(cert.serial_number)
    signer = _DuisSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                         c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signed = signer.sign(root, key=entry.private_key(), key_info=key_info, exclude_c14n_transform_element=True)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
