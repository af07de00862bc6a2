"""ASN.1 DER payloads: build -> decode -> names and values; strict DER; schema fallback; RTDS."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from support import assert_tiles, rtds_content, walk_rtds_content
from hypothesis import given, settings, strategies as st

import gbcs
from gbcs.errors import ConstraintError, DecodeError, LengthError, SpecReferenceError, TruncatedError, \
    UnknownCodeError
from gbcs.payload import asn1
from gbcs.payload.asn1 import (FALLBACK, asn1_type_for, build_activate_firmware_command, build_join_command,
                               build_join_response, build_key_usage,
                               build_provide_security_credential_details_command, build_set_time_command,
                               build_set_time_response, build_unjoin_command, build_unjoin_response,
                               decode_asn1, decode_der, der_bit_string, der_boolean, der_enumerated,
                               der_explicit, der_generalized_time, der_implicit, der_integer, der_named_bits,
                               der_null, der_octet_string, der_oid, der_sequence, der_set, der_utc_time)
from gbcs.payload.context import PayloadContext
from gbcs.spec import specs
from gbcs.spec.load import SpecSet, parse_text
from gbcs.wire.backend import Walker

COMMAND, RESPONSE, ALERT = 1, 2, 3
EUI = bytes.fromhex("00DB123456789098")


def decode(content: bytes, code: int | None = None, cra: int | None = COMMAND, prefix: bytes = b"\xAA"):
    """Decode content placed after some envelope bytes (absolute offsets must work)."""
    data = prefix + content + b"\xBB"
    w = Walker(data, len(prefix), len(prefix) + len(content))
    w.begin("payload")
    ctx = PayloadContext(specs(), code, cra)
    decode_asn1(w, ctx)
    node = w.finish()
    assert_tiles(node, len(prefix), len(prefix) + len(content))
    assert gbcs.encode(node) == content
    return node, ctx.notes


def fallback_notes(notes: list[str]) -> list[str]:
    return [n for n in notes if FALLBACK in n]


# -- certificates made with cryptography ------------------------------------------------

def _device_certificate(eui: bytes = EUI, usage: str = "key_agreement") -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    hw = der_sequence(der_oid("1.2.826.0.1.8641679.1.2.2.1"), der_octet_string(eui))
    ku = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
              encipher_only=False, decipher_only=False)
    ku[usage] = True
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "E357")]))
            .public_key(key.public_key())
            .serial_number(0x30398236744D9DA0E57F8D74AE041FCD)
            .not_valid_before(dt.datetime(2016, 4, 6, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc))
            .add_extension(x509.KeyUsage(**ku), critical=True)
            .add_extension(x509.SubjectKeyIdentifier(bytes.fromhex("4BA1D2CC06A5A739")), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.OtherName(
                x509.ObjectIdentifier("1.3.6.1.5.5.7.8.4"), hw)]), critical=True)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                x509.ObjectIdentifier("1.2.826.0.1.1800000.1.2.1.4"), None)]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier(bytes.fromhex("47D40AF3412904A0"), None, None),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def certificate() -> bytes:
    return _device_certificate()


# -- the spec ---------------------------------------------------------------------------

def test_dispatch_covers_every_asn1_message_code():
    s = specs()
    both = [0x0008, 0x000A, 0x000B, 0x000C, 0x000D, 0x000E, 0x000F, 0x0010, 0x0012, 0x0013, 0x007F,
            0x008C, 0x00AB, 0x00AF, 0x011B, 0x0129] + list(range(0x0100, 0x010A))
    for code in both:
        assert asn1_type_for(s, code, COMMAND), hex(code)
        assert asn1_type_for(s, code, RESPONSE), hex(code)
    for code in (0x00B2, 0x00CA, 0x00CB, 0x0128, 0x0129, 0x012B):
        assert asn1_type_for(s, code, ALERT), hex(code)
    assert asn1_type_for(s, 0x0102, COMMAND) == "UpdateSecurityCredentialsCommand"
    assert asn1_type_for(s, 0x011B, RESPONSE) == asn1_type_for(s, 0x0008, RESPONSE)
    assert asn1_type_for(s, 0x012B, ALERT) == asn1_type_for(s, 0x0129, ALERT)
    assert asn1_type_for(s, 0x0059, COMMAND) is None


def _all_spec_items(extra: str):
    from gbcs.spec.load import _data_dir, _spec_files
    items = []
    for f in _spec_files(_data_dir("specs")):
        items += parse_text(f.read_text(encoding="utf-8"), f"specs/{f.name}")
    return SpecSet(items + parse_text(extra, "extra.gbspec"))


def test_a_type_naming_nothing_known_is_a_spec_error():
    s = _all_spec_items("asn1_type Broken { x  NoSuchType }\n")
    with pytest.raises(SpecReferenceError) as exc:
        asn1_type_for(s, 8, 1)
    assert "extra.gbspec:1" in str(exc.value) and "NoSuchType" in str(exc.value)


def test_an_unknown_option_is_a_spec_error():
    from gbcs.errors import SpecError
    s = _all_spec_items("asn1_type Broken { x  INTEGER  frobnicate(3) }\n")
    with pytest.raises(SpecError, match="unknown option"):
        asn1_type_for(s, 8, 1)


# -- encoders ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, der", [(0, "020100"), (127, "02017F"), (128, "02020080"), (-1, "0201FF"),
                                        (-128, "020180"), (-129, "0202FF7F"), (1000, "020203E8")])
def test_der_integer(value, der):
    assert der_integer(value).hex().upper() == der


def test_der_helpers():
    assert build_key_usage("digital_signature").hex() == "03020780"
    assert build_key_usage("key_agreement").hex() == "03020308"
    assert build_key_usage("key_cert_sign", "crl_sign").hex() == "03020106"
    assert der_named_bits([]).hex() == "030100"
    assert der_oid("1.2.840.10045.4.3.2").hex() == "06082a8648ce3d040302"
    assert der_null() == b"\x05\x00"
    assert der_boolean(True).hex() == "0101ff"
    assert der_enumerated(5).hex() == "0a0105"
    assert der_implicit(3, der_integer(1000)).hex() == "830203e8"
    assert der_explicit(0, der_integer(2)).hex() == "a003020102"
    assert der_generalized_time(dt.datetime(2015, 1, 1, 1, tzinfo=dt.timezone.utc)) == \
        b"\x18\x0f20150101010000Z"
    assert der_utc_time("160406000000Z") == b"\x17\x0d160406000000Z"
    assert der_octet_string(b"\x00" * 200)[:3].hex() == "0481c8"
    assert der_set(der_integer(2), der_integer(1)).hex() == "3106020101020102"


# -- build -> decode: GBCS payloads ------------------------------------------------------

def test_unjoin_command_and_response():
    node, notes = decode(build_unjoin_command(bytes.fromhex("0102030405060708")), 0x0010)
    assert notes == []
    entity = node.find("entity_id")
    assert entity.find("tag").meaning == "OCTET STRING"
    assert entity.find("value").value == bytes.fromhex("0102030405060708")
    assert entity.find("value").meaning == "0102030405060708"
    node, notes = decode(build_unjoin_response("not_in_device_log"), 0x000F, RESPONSE)
    assert notes == [] and node.find("response_code.value").meaning == "not_in_device_log"
    assert node.find("response_code.value").codec == "i8"


def test_join_command_with_a_certificate(certificate):
    content = build_join_command("method_c", EUI, "ppmid", certificate)
    node, notes = decode(content, 0x00AF)
    assert notes == []
    cmd = node.find("join_device_command")
    assert cmd.find("join_method_and_role.value").meaning == "method_c"
    assert cmd.find("device_type.value").meaning == "ppmid"
    assert cmd.find("entity_id.value").value == EUI
    tbs = cmd.find("certificate.tbs_certificate")
    assert [c.name for c in tbs.children] == [
        "tag", "length", "version", "serial_number", "signature", "issuer", "validity", "subject",
        "subject_public_key_info", "extensions"]
    assert tbs.find("version.integer.value").meaning == "v3"
    serial = tbs.find("serial_number.value")
    assert serial.codec == "bytes" and serial.meaning == str(0x30398236744D9DA0E57F8D74AE041FCD)
    assert tbs.find("signature.algorithm.value").meaning == "1.2.840.10045.4.3.2 (ecdsa_with_sha256)"
    assert tbs.find("issuer.rdn[0].attribute[0].value.value").meaning == "E357"
    assert tbs.find("validity.not_before").meaning == "utc_time"
    assert tbs.find("validity.not_before.value").meaning == "2016-04-06T00:00:00Z"
    assert tbs.find("validity.not_after.value").meaning == "9999-12-31T23:59:59Z"
    assert tbs.find("subject.length").value == 0
    spki = tbs.find("subject_public_key_info")
    assert spki.find("algorithm.parameters.value").meaning.endswith("(prime256v1)")
    assert len(spki.find("subject_public_key.value").value) == 65
    exts = tbs.find("extensions.extensions")
    ku = exts.find("extension[0]")
    assert ku.find("extn_id.value").meaning == "2.5.29.15 (key_usage)"
    assert ku.find("critical.value").meaning == "TRUE"
    assert ku.find("extn_value.key_usage.value").meaning == "key_agreement"
    san = exts.find("extension[2].extn_value.general_names.general_name[0]")
    assert san.meaning == "other_name"
    assert san.find("value.hardware_module_name.hw_serial_num.value").value == EUI
    assert exts.find("extension[4].extn_value.authority_key_identifier.key_identifier.value").value == \
        bytes.fromhex("47D40AF3412904A0")
    cert = cmd.find("certificate")
    assert cert.find("signature_algorithm.algorithm.value").meaning.endswith("(ecdsa_with_sha256)")
    sig = cert.find("signature_value.ecdsa_sig_value")
    assert sig.find("r") is not None and sig.find("s") is not None


def test_join_command_without_certificate_and_its_response():
    node, notes = decode(build_join_command(1, bytes(8), "esme"), 0x00AB)
    assert notes == [] and node.find("join_device_command.certificate") is None
    assert node.find("join_device_command.join_method_and_role.value").meaning == "method_a_responder"
    node, notes = decode(build_join_response("no_cbke_response"), 0x000D, RESPONSE)
    assert notes == [] and node.find("response_code.value").value == 13


def test_provide_security_credential_details_command():
    content = build_provide_security_credential_details_command(
        "access_control_broker", ["key_agreement"], ["supplier", "network_operator"])
    assert content.hex().upper() == "30113007020104030203083006020102020103"     # RTDS CS02aMAC command
    node, notes = decode(content, 0x0008)
    assert notes == []
    cmd = node.find("provide_security_credential_details_command")
    cell = cmd.find("authorising_remote_party_ta_cell_identifier")
    assert cell.find("remote_party_role.value").meaning == "access_control_broker"
    assert cell.find("key_usage.unused_bits").value == 3
    assert cell.find("key_usage.value").meaning == "key_agreement"
    assert cell.find("cell_usage") is None
    roles = cmd.find("remote_party_roles_credentials_required")
    assert [roles.find(f"remote_party_role[{i}].value").meaning for i in range(2)] == \
        ["supplier", "network_operator"]
    with_cell = build_provide_security_credential_details_command(2, [4], [2], cell_usage="prepayment_top_up")
    node, notes = decode(with_cell, 0x011B)
    assert notes == []
    assert node.find("provide_security_credential_details_command.authorising_remote_party_ta_cell_identifier"
                     ".cell_usage.value").meaning == "prepayment_top_up"


def test_set_time_command_and_response():
    start = dt.datetime(2014, 12, 31, 23, 30, tzinfo=dt.timezone.utc)
    node, notes = decode(build_set_time_command(start, "20150101003000Z"), 0x007F)
    assert notes == []
    assert node.find("set_time_command.validity_interval_start.value").meaning == "2014-12-31T23:30:00Z"
    assert node.find("set_time_command.validity_interval_end.value").meaning == "2015-01-01T00:30:00Z"
    node, notes = decode(build_set_time_response("20150101000000Z", "unreliable"), 0x007F, RESPONSE)
    assert notes == [] and node.find("set_time_response.device_time_status.value").meaning == "unreliable"


def test_activate_firmware_command_and_choice_response():
    content = build_activate_firmware_command(bytes(range(32)), 1001, "20300115090000Z")
    node, notes = decode(content, 0x0012)
    assert notes == []
    assert node.find("activate_firmware_command.originator_counter.value").value == 1001
    node, notes = decode(der_null(), 0x0012, RESPONSE)
    assert notes == [] and [c.name for c in node.children] == ["command_accepted"]
    node, notes = decode(bytes.fromhex("300902010204040123ABCF"), 0x0012, RESPONSE)
    assert notes == [] and node.find("execution_outcome.response_code.value").meaning == "hash_mismatch"
    # size(32) is part of the type: a 31-byte hash does not match
    _, notes = decode(build_activate_firmware_command(bytes(31), 1), 0x0012)
    assert len(fallback_notes(notes)) == 1


def test_alert_code_names_come_from_the_alert_table():
    content = bytes.fromhex("301f0203008f8b180f32303135303130313030303030305a04041234abcd020100")
    node, notes = decode(content, 0x012B, ALERT)
    assert notes == []
    alert = node.find("read_firmware_version_alert")
    assert alert.find("alert_code.value").value == 0x8F8B
    assert alert.find("alert_code.value").meaning == "Read Firmware version alert"
    assert alert.find("activate_image.value").meaning == "success"


# -- schema fallback ---------------------------------------------------------------------

def test_bytes_that_do_not_match_the_schema_are_walked_generically(certificate):
    content = build_join_command(3, EUI, 1, certificate)
    node, notes = decode(content, 0x000F)             # an unjoin code: expects an OCTET STRING
    assert len(fallback_notes(notes)) == 1 and "UnjoinDeviceCommand" in notes[0]
    top = node.find("element[0]")
    assert top.find("element[0].value").value == 3
    cert = top.find("element[3]")                      # certificates are still recognised
    assert cert.meaning == "Certificate" and cert.find("tbs_certificate.serial_number") is not None


def test_no_schema_for_the_code_or_cra():
    _, notes = decode(der_null(), 0x9999)
    assert fallback_notes(notes) and "0x9999" in notes[0]
    _, notes = decode(der_null(), 0x0008, ALERT)
    assert fallback_notes(notes) and "alert" in notes[0]
    node, notes = decode(der_null() + der_null(), 0x0129)       # two elements where one belongs
    assert fallback_notes(notes) and [c.name for c in node.children] == ["element[0]", "element[1]"]


def test_decode_der_names_a_certificate(certificate):
    data = b"\x01\x02" + certificate
    w = Walker(data, 2)
    w.begin("other_information")
    notes: list[str] = []
    node = decode_der(w, "certificate", "Certificate", notes)
    assert w.pos == len(data) and notes == []
    assert node.name == "certificate" and node.find("tbs_certificate.validity") is not None
    assert_tiles(node, 2, len(data))
    w = Walker(der_sequence(der_integer(1)))
    notes = []
    node = decode_der(w, "certificate", "Certificate", notes)
    assert fallback_notes(notes) and node.find("element[0].value").value == 1
    with pytest.raises(SpecReferenceError):
        decode_der(Walker(der_null()), "x", "NoSuchType")


# -- strict DER --------------------------------------------------------------------------

def raises(content: bytes, code: int | None = 0x9999):
    with pytest.raises(DecodeError) as exc:
        decode(content, code)
    return exc.value


def test_truncation_at_every_prefix(certificate):
    for content in (build_join_command(3, EUI, 5, certificate),
                    build_provide_security_credential_details_command(4, [4], [2, 3])):
        for cut in range(1, len(content)):
            err = raises(content[:cut], 0x00AF)
            assert isinstance(err, (TruncatedError, LengthError)), (cut, err)
            assert 1 <= err.offset <= 1 + cut


def test_empty_content_is_truncated():
    assert isinstance(raises(b""), TruncatedError)


def test_length_bombs_fail_fast():
    t0 = time.perf_counter()
    for bomb in ("3084FFFFFFFF", "0484FFFFFFFF00", "3084FFFFFFFF3084FFFFFFFF", "300504837FFFFF"):
        assert isinstance(raises(bytes.fromhex(bomb)), LengthError), bomb
    assert time.perf_counter() - t0 < 1
    err = raises(bytes.fromhex("3085FFFFFFFFFF"))
    assert isinstance(err, ConstraintError) and err.rule == "GBCS-D007"
    assert isinstance(raises(bytes.fromhex("30FF")), ConstraintError)


def test_indefinite_length_is_not_der():
    err = raises(bytes.fromhex("3080020100" "0000"))
    assert isinstance(err, ConstraintError) and "indefinite" in err.message and err.offset == 2


def test_non_minimal_lengths_are_accepted_and_marked():
    node, notes = decode(bytes.fromhex("3081030201FF"), 0x9999)      # RTDS uses 30 82 00 CA
    assert node.find("element[0].length").meaning.startswith("non-minimal")
    assert node.find("element[0].element[0].value").value == -1


@pytest.mark.parametrize("content, error", [
    ("0F00", UnknownCodeError),          # universal 15 is reserved
    ("1F2500", UnknownCodeError),        # universal 37 (multi-byte form) is not assigned
    ("0000", ConstraintError),           # end-of-contents
    ("010101", ConstraintError),         # BOOLEAN must be 00 or FF
    ("0200", ConstraintError),           # empty INTEGER
    ("02020001", ConstraintError),       # non-minimal INTEGER
    ("0202FF80", ConstraintError),
    ("2203020100", ConstraintError),     # constructed INTEGER
    ("1000", ConstraintError),           # primitive SEQUENCE
    ("050100", ConstraintError),         # NULL with contents
    ("06022A80", ConstraintError),       # OID ends inside a sub-identifier
    ("0602802A", ConstraintError),       # OID sub-identifier with a leading zero digit
    ("030101", ConstraintError),         # BIT STRING: unused bits without bits
    ("03020800", ConstraintError),       # unused-bits count above 7
    ("03020101", ConstraintError),       # unused bits not zero
    ("180F32303135313330313030303030305A", ConstraintError),   # month 13
    ("180E323031353031303130303030305A", ConstraintError),     # no seconds
    ("170D3135303130313030303030302B", ConstraintError),       # UTCTime not ending in Z
])
def test_der_violations(content, error):
    err = raises(bytes.fromhex(content))
    assert type(err) is error, err


def test_universal_types_without_a_special_reading():
    node, _ = decode(bytes.fromhex("0903800001" "1303414243" "0C02C3A9" "1E0400410042" "0D022A03"), 0x9999)
    assert node.find("element[0].tag").meaning == "REAL"
    assert node.find("element[0].value").meaning == "800001"
    assert node.find("element[1].value").meaning == "ABC"
    assert node.find("element[2].value").meaning == "é"
    assert node.find("element[3].value").meaning == "AB"
    assert node.find("element[4].value").meaning == "42.3"


def test_multi_byte_tags():
    node, notes = decode(bytes.fromhex("9F1F01AA" "BF810000" "7F8A0100"), 0x9999)
    first = node.find("element[0]")
    assert first.find("tag").codec == "bytes" and first.find("tag").meaning == "[31] context"
    assert first.find("value").value == b"\xAA"
    assert node.find("element[1].tag").meaning == "[128] context constructed"
    assert node.find("element[2].tag").meaning == "[APPLICATION 1281] constructed"
    assert isinstance(raises(bytes.fromhex("9F800100")), ConstraintError)      # leading zero digit
    assert isinstance(raises(bytes.fromhex("9F0500")), ConstraintError)        # number < 31
    assert isinstance(raises(bytes.fromhex("9F81")), TruncatedError)
    assert isinstance(raises(bytes.fromhex("9FFFFFFFFF7F00")), ConstraintError)  # too long


def test_deep_nesting():
    def nested(levels: int) -> bytes:
        inner = der_null()
        for _ in range(levels - 1):
            inner = der_sequence(inner)
        return inner
    node, _ = decode(nested(asn1.MAX_DEPTH), 0x9999)
    assert node.find("element[0]" + ".element[0]" * (asn1.MAX_DEPTH - 1)) is not None
    for levels in (asn1.MAX_DEPTH + 1, 5000):
        err = raises(nested(levels))
        assert isinstance(err, ConstraintError) and "nested" in err.message


def test_large_and_negative_integers():
    node, _ = decode(der_sequence(der_integer(-2), der_integer(2**70), der_integer(-(2**63))), 0x9999)
    assert node.find("element[0].element[0].value").value == -2
    big = node.find("element[0].element[1].value")
    assert big.codec == "bytes" and big.meaning == str(2**70)
    assert node.find("element[0].element[2].value").codec == "i64"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_decode_errors(data):
    try:
        decode(data, 0x0008)
    except DecodeError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_messages_decode_or_raise_decode_errors(data):
    content = bytearray(build_join_command(3, EUI, 5, _MUTATION_BASE))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(content) - 1))
        content[i] = data.draw(st.integers(0, 255))
    try:
        decode(bytes(content), 0x00AF)
    except DecodeError:
        pass


_MUTATION_BASE = _device_certificate()


# -- the RTDS corpus ---------------------------------------------------------------------

def _locate(data: bytes) -> dict:
    """Content span, message code, CRA and other-information span of a (non-GBT) message."""
    code, cra, start, end = rtds_content(data)
    import gbcs
    other = gbcs.decode(data, payloads=False).find("grouping_header.other_information")
    return {"code": code, "cra": cra, "content": (start, end), "other": (other.get("message_code").start, other.end)}


@pytest.mark.corpus
def test_rtds_asn1_contents(rtds):
    seen, problems, codes = 0, [], set()
    for path, data in rtds:
        where = _locate(data)
        start, end = where["content"]
        content = data[start:end]
        if content[:2] == b"\x01\x09" or content[:1] in (b"\xD9", b"\xDA", b"\x0F"):
            continue
        seen += 1
        node, ctx, found = walk_rtds_content(decode_asn1, data)
        problems += [f"{path.name}: {p}" for p in found]
        if node is None:
            continue
        if asn1_type_for(specs(), where["code"], where["cra"]) is None:
            problems.append(f"{path.name}: no type for 0x{where['code']:04X}/{where['cra']}")
        if ctx.notes:
            problems.append(f"{path.name}: {ctx.notes}")
        codes.add(where["code"])
    assert not problems, "\n".join(problems)
    assert seen == 117
    assert codes >= {0x0008, 0x000A, 0x000B, 0x000C, 0x000F, 0x0010, 0x0012, 0x007F, 0x008C, 0x00AB,
                     0x00AF, 0x00B2, 0x00CA, 0x00CB, 0x0102, 0x0104, 0x0105, 0x0108, 0x0109, 0x011B,
                     0x0128, 0x0129, 0x012B}


@pytest.mark.corpus
def test_rtds_other_information_certificates(rtds):
    found = 0
    for path, data in rtds:
        where = _locate(data)
        start, end = where["other"]
        if end - start <= 26:
            continue
        w = Walker(data, start + 18, end)
        w.begin("other_information")
        notes: list[str] = []
        node = decode_der(w, "certificate", "Certificate", notes)
        assert w.pos == end and notes == [], path.name
        assert_tiles(node, start + 18, end)
        assert node.find("tbs_certificate.subject_public_key_info.subject_public_key") is not None
        found += 1
    assert found == 2


@pytest.mark.parametrize("extra, message", [
    ("asn1_type Loop (form = alias) { x  Loop2 }\nasn1_type Loop2 (form = choice) { y  implicit(1, Loop) }\n",
     "refers to itself"),
    ("asn1_type C (form = choice) { a  INTEGER\n b  INTEGER }\n", "share a tag"),
    ("asn1_type C (form = choice) { a  ANY }\n", "any tag"),
])
def test_types_the_matcher_cannot_decide_are_spec_errors(extra, message):
    from gbcs.errors import SpecError
    with pytest.raises(SpecError, match=message):
        asn1_type_for(_all_spec_items(extra), 8, 1)


def test_nested_near_certificates_stay_linear():
    # Each level looks like a certificate until its issuer; its AlgorithmIdentifier parameters
    # (ANY) hold the next level. Without memoising, every level doubled the work.
    content = der_null()
    for _ in range(20):
        content = der_sequence(der_sequence(der_integer(1), der_sequence(der_oid("1.2"), content), der_null()),
                               der_sequence(), der_bit_string(b""))
    decode(content, 0x9999)
    t0 = time.perf_counter()
    node, _ = decode(content, 0x9999)
    assert time.perf_counter() - t0 < 0.5
    assert node.find("element[0].element[0].element[1].element[1].element[0]") is not None


def _bare_certificate(key_usage_value: bytes, signature: bytes) -> bytes:
    ecdsa = der_sequence(der_oid("1.2.840.10045.4.3.2"))
    spki = der_sequence(der_sequence(der_oid("1.2.840.10045.2.1"), der_oid("1.2.840.10045.3.1.7")),
                        der_bit_string(b"\x04" + bytes(64)))
    ext = der_sequence(der_oid("2.5.29.15"), der_boolean(True), der_octet_string(key_usage_value))
    tbs = der_sequence(der_explicit(0, der_integer(2)), der_integer(1), ecdsa, der_sequence(),
                       der_sequence(der_utc_time("160406000000Z"), der_generalized_time("99991231235959Z")),
                       der_sequence(), spki, der_explicit(3, der_sequence(ext)))
    return der_sequence(tbs, ecdsa, der_bit_string(signature))


def test_contained_der_that_is_not_what_the_oid_says_is_kept_and_noted():
    good = _bare_certificate(build_key_usage("digital_signature"),
                             der_sequence(der_integer(1), der_integer(2)))
    node, notes = decode(good, 0x000B)
    assert notes == []
    assert node.find("certificate.signature_value.ecdsa_sig_value.s.value").value == 2
    bad = _bare_certificate(b"\xff\xff", b"\x01\x02")
    node, notes = decode(bad, 0x000B)
    assert len(notes) == 2 and not fallback_notes(notes)
    assert all("kept as bytes" in n for n in notes)
    ext = node.find("certificate.tbs_certificate.extensions.extensions.extension[0]")
    assert ext.find("extn_value.value").value == b"\xff\xff"
    assert node.find("certificate.signature_value.value").value == b"\x01\x02"
    other = _bare_certificate(der_integer(5), der_sequence(der_integer(1)))   # DER, but the wrong type
    node, notes = decode(other, 0x000B)
    assert len(fallback_notes(notes)) == 2
    assert node.find("certificate.tbs_certificate.extensions.extensions.extension[0].extn_value.key_usage"
                     ".value").value == 5
