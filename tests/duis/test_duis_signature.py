"""DUIS XML signatures: sign-then-verify with our own test organisations, and every way to fail."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from duis_world import (DCC, OPERATOR, OTHER, READ_REGISTERS, SUPPLIER, XML_SIGNING, org_certificate,
                        orgs, request, response)  # noqa: F401 (fixture)
from gbcs.crypto import Keystore
from gbcs.crypto.testkeys import generate_keypair
from gbcs.duis.document import read_document
from gbcs.duis.signature import sign, sign_tree, signing_key, verify
from gbcs.errors import DuisSigningError

DS = "http://www.w3.org/2000/09/xmldsig#"


def check(data: bytes, keystore, **kw):
    return verify(read_document(data), keystore, **kw)


def rules(result) -> list[str]:
    return [f.rule for f in result.findings]


def test_round_trip_names_signer_and_role(orgs):
    ks = orgs.keystore()
    signed = sign(request(), ks, SUPPLIER)
    result = check(signed, ks)
    assert result.status == "valid" and result.findings == []
    assert result.signer == SUPPLIER and result.role == XML_SIGNING
    assert result.user_roles == {"IS", "ES", "GS"}          # from its supplier (OU 02) certificate
    assert b"<sr:ServiceReferenceVariant>6.7<" in result.verified_xml


def test_signed_output_follows_the_duis_profile(orgs):
    signed = sign(request(), orgs.keystore(), SUPPLIER, counter=42)
    root = etree.fromstring(signed)
    sig = root[-1]
    assert sig.tag == f"{{{DS}}}Signature" and len(root.findall(f".//{{{DS}}}Signature")) == 1
    assert [t.get("Algorithm") for t in sig.iter(f"{{{DS}}}Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature"]
    assert sig.find(f".//{{{DS}}}X509Certificate") is None
    serial = sig.findtext(f".//{{{DS}}}X509SerialNumber")
    assert serial == str(orgs.certs[SUPPLIER].serial_number)
    assert len(base64.b64decode(sig.findtext(f"{{{DS}}}SignatureValue"))) == 64
    assert ":42</sr:RequestID>" in signed.decode()
    assert b"\n" not in signed.split(b"?>", 1)[1].strip()                       # compact, as DCC Boxed emits
    # The reference digest is inclusive C14N 1.0 of the document without its signature (duis-notes §7).
    root.remove(sig)
    digest = hashlib.sha256(etree.tostring(root, method="c14n")).digest()
    assert base64.b64encode(digest).decode() == etree.fromstring(signed).findtext(f".//{{{DS}}}DigestValue")


def test_counter_is_fresh_unless_kept(orgs):
    ks = orgs.keystore()
    assert ":1002</sr:RequestID>" not in sign(request(), ks, SUPPLIER).decode()
    assert ":1002</sr:RequestID>" in sign(request(), ks, SUPPLIER, keep_counter=True).decode()


def test_pretty_printed_copy_still_verifies_and_resigning_replaces_the_signature(orgs):
    ks = orgs.keystore()
    signed = sign(request(), ks, SUPPLIER)
    pretty = etree.tostring(etree.fromstring(signed), pretty_print=True)
    assert check(pretty, ks).status == "valid"
    again = sign(pretty, ks, SUPPLIER)
    assert len(etree.fromstring(again).findall(f".//{{{DS}}}Signature")) == 1
    assert check(again, ks).status == "valid"


def test_tampered_document_fails(orgs):
    ks = orgs.keystore()
    signed = sign(request(), ks, SUPPLIER)
    tampered = signed.replace(b"6.1680", b"6.1681")
    result = check(tampered, ks)
    assert result.status == "invalid" and rules(result) == ["GBCS-U013"]


def test_altered_signature_value_fails(orgs):
    ks = orgs.keystore()
    root = etree.fromstring(sign(request(), ks, SUPPLIER))
    value = root.find(f".//{{{DS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    assert rules(check(etree.tostring(root), ks)) == ["GBCS-U013"]


def test_signed_by_one_organisation_verified_against_another_fails(orgs):
    signed = sign(request(), orgs.keystore(SUPPLIER), SUPPLIER)
    other_only = orgs.keystore(OPERATOR, private=False)
    result = check(signed, other_only)
    assert result.status == "no-key" and rules(result) == ["GBCS-U015"]
    # KeyInfo is not signed: pointing it at the other organisation's certificate must not pass either.
    root = etree.fromstring(signed)
    root.find(f".//{{{DS}}}X509SerialNumber").text = str(orgs.certs[OPERATOR].serial_number)
    result = check(etree.tostring(root), orgs.keystore(private=False))
    assert result.status == "invalid" and rules(result) == ["GBCS-U013"]


def test_unknown_serial_and_missing_key_info(orgs):
    ks = orgs.keystore()
    root = etree.fromstring(sign(request(), ks, SUPPLIER))
    root.find(f".//{{{DS}}}X509SerialNumber").text = "1234567890"
    assert rules(check(etree.tostring(root), ks)) == ["GBCS-U015"]
    key_info = root.find(f".//{{{DS}}}KeyInfo")
    key_info.getparent().remove(key_info)
    assert rules(check(etree.tostring(root), ks)) == ["GBCS-U014"]


def test_unsigned_request_fails_unsigned_response_passes(orgs):
    ks = orgs.keystore()
    result = check(request(), ks)
    assert result.status == "absent" and rules(result) == ["GBCS-U012"]
    assert check(response(when="2026-01-01T00:00:00Z"), ks).status == "absent"
    assert check(response(when="2026-01-01T00:00:00Z"), ks).findings == []


@pytest.mark.parametrize("edit", ["rsa", "two_references", "short_value", "not_last"])
def test_signatures_outside_the_duis_profile(orgs, edit):
    ks = orgs.keystore()
    root = etree.fromstring(sign(request(), ks, SUPPLIER))
    sig = root[-1]
    if edit == "rsa":
        sig.find(f".//{{{DS}}}SignatureMethod").set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    elif edit == "two_references":
        ref = sig.find(f".//{{{DS}}}Reference")
        ref.addnext(etree.fromstring(etree.tostring(ref)))
    elif edit == "short_value":
        sig.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(b"default").decode()
    else:
        root.remove(sig)
        root.insert(0, sig)
    result = check(etree.tostring(root), ks)
    assert result.status == "invalid" and rules(result) == ["GBCS-U014"]


def test_signer_must_be_the_originator(orgs):
    ks = orgs.keystore()
    with pytest.raises(DuisSigningError, match="originator"):
        sign(request(), ks, OPERATOR)
    # A valid signature by another user does not authorise the request.
    forged = sign_tree(etree.fromstring(request()), signing_key(ks, OPERATOR))
    result = check(forged, ks)
    assert result.status == "valid" and "GBCS-U016" in rules(result)


def test_responses_are_signed_by_the_dcc(orgs):
    ks = orgs.keystore()
    by_supplier = sign_tree(etree.fromstring(response(when="2026-01-01T00:00:00Z")), signing_key(ks, SUPPLIER))
    result = check(by_supplier, ks)
    assert result.status == "valid" and rules(result) == ["GBCS-U016"]
    assert check(by_supplier, ks, dcc_eui=bytes.fromhex(SUPPLIER.replace("-", ""))).findings == []


def test_key_agreement_certificate_is_not_a_signer(orgs):
    from gbcs.crypto.testkeys import make_certificate
    key = generate_keypair()
    ka = make_certificate(key, SUPPLIER, "ka", device=False, role=0x02)
    ks = Keystore()
    ks.add_key(SUPPLIER, "ds", private_key=key, certificate=ka)      # filed as DS, but its key usage says KA
    result = check(sign(request(), ks, SUPPLIER), ks)
    assert result.status == "no-key" and rules(result) == ["GBCS-U015"]


def test_missing_key_material_when_signing(orgs):
    with pytest.raises(DuisSigningError, match="missing key material"):
        sign(request(), orgs.keystore(SUPPLIER, private=False), SUPPLIER)


def test_role_not_eligible(orgs):
    ks = orgs.keystore()
    # 6.7 (gas flow) is for gas suppliers only; a network operator may not send it.
    signed = sign(request(originator=OPERATOR), ks, OPERATOR)
    result = check(signed, ks)
    assert result.status == "valid" and rules(result) == ["GBCS-U017"]
    # 4.1.1 is open to ED and GT: the operator may read registers.
    assert check(sign(request("4.1.1", READ_REGISTERS, cv=1, originator=OPERATOR), ks, OPERATOR), ks).findings == []
    # The other user may read profile data (OU) but not registers; explicit roles extend certificates.
    read = sign(request("4.1.1", READ_REGISTERS, cv=1, originator=OTHER), ks, OTHER)
    assert rules(check(read, ks)) == ["GBCS-U017"]
    assert check(read, ks, user_roles={bytes.fromhex(OTHER.replace("-", "")): {"IS"}}).findings == []
    # 7.16 lists no roles: refused whoever signs.
    limit = sign(request("7.16", "<sr:LimitAPCLevel/>", cv=4), ks, SUPPLIER)
    assert rules(check(limit, ks)) == ["GBCS-U017"]


def _dcc_signed_response(orgs, when: str, *, not_after: dt.datetime):
    key = generate_keypair()
    cert = org_certificate(key, DCC, 0x89, issuer_key=orgs.issuer,
                           not_before=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), not_after=not_after)
    ks = Keystore()
    ks.add_key(DCC, "ds", private_key=key, certificate=cert)
    return sign_tree(etree.fromstring(response(when=when)), signing_key(ks, DCC)), ks


def test_certificate_judged_at_the_documents_own_date(orgs):
    expired = dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    signed, ks = _dcc_signed_response(orgs, "2025-06-01T10:00:00Z", not_after=expired)
    result = check(signed, ks, now=now)
    assert result.status == "valid" and rules(result) == ["GBCS-U019"]
    assert result.findings[0].severity == "warning"
    late, ks = _dcc_signed_response(orgs, "2025-12-01T10:00:00Z", not_after=expired)
    result = check(late, ks, now=now)
    assert result.status == "invalid" and rules(result) == ["GBCS-U018"]
    fresh = check(late, ks, now=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    assert "GBCS-U019" not in rules(fresh)


def test_request_signed_with_a_now_expired_certificate_is_a_warning(orgs):
    key = generate_keypair()
    cert = org_certificate(key, SUPPLIER, XML_SIGNING, issuer_key=orgs.issuer,
                           not_after=dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc))
    ks = Keystore()
    ks.add_key(SUPPLIER, "ds", private_key=key, certificate=cert)
    ks.add_key(SUPPLIER, "ds", certificate=orgs.role_certs[SUPPLIER])
    result = check(sign(request(), ks, SUPPLIER), ks)
    assert result.status == "valid" and rules(result) == ["GBCS-U019"]


def test_dcc_boxed_keystore_json(orgs, tmp_path):
    key, cert = orgs.keys[SUPPLIER], orgs.certs[SUPPLIER]
    eui = SUPPLIER.replace("-", "").lower()
    tree = {eui: {"digitalSignature": {str(cert.serial_number): {
        "certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "privateKey": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode(),
        "name": "Z1-supplier-xmlsign", "role": 135}}}}
    path = tmp_path / "keystore.json"
    path.write_text(json.dumps(tree))
    ks = Keystore.load([str(path)])
    signed = sign(request("4.1.1", READ_REGISTERS, cv=1), ks, SUPPLIER)
    result = check(signed, ks, user_roles={bytes.fromhex(eui): {"IS"}})
    assert result.status == "valid" and result.findings == []
