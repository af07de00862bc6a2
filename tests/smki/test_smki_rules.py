"""Every certificate rule: a certificate that breaks it (and, where the rules allow, only it) makes
it fire; the conforming templates of every profile are clean."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gbcs.payload.asn1 import (der_bit_string, der_boolean, der_explicit, der_generalized_time, der_integer,
                               der_null, der_octet_string, der_oid, der_sequence, der_tlv, der_utc_time)
from gbcs.rules import rules
from gbcs.smki.build import (ca_name, dca_name, extension_parts, extensions_field, hardware_module_name,
                             resign, smki_key_identifier, tbs_parts, template, unique_identifier)
from gbcs.smki.facts import key_identifier
from gbcs.smki.parse import oid_of
from smki_world import (DCA_KEY, DEV_EUI, OCA, OCA_KEY, ORG_EUI, OTHER_KEY, POOL, ROOT, ROOT_KEY, SUBJECT_KEY,
                        ca, der, dev, key, org, root, rule_set, signer_of)

UTC = dt.timezone.utc
KU_DS = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
KU_BOTH = x509.KeyUsage(True, False, False, False, True, False, False, False, False)


def built(t, signing_key=None, algorithm=None) -> bytes:
    return t.der(signing_key or signer_of(t), algorithm)


def policies(*oids):
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(o), None) for o in oids])


def patched(t, edit, signing_key=None, outer_algorithm=None) -> bytes:
    """Build `t`, edit its TBS parts (a list of DER elements), sign again."""
    parts = tbs_parts(built(t))
    edit(parts)
    return resign(parts, signing_key or signer_of(t), outer_algorithm=outer_algorithm)


def with_extensions(t, edit) -> bytes:
    exts = extension_parts(built(t))
    edit(exts)
    def put(parts):
        parts[-1] = extensions_field(exts)
    return patched(t, put)


DEVICE_POLICY = "1.2.826.0.1.1800000.1.2.1.4"
ORG_POLICY = "1.2.826.0.1.8641679.1.2.1.4"
ALG = der_sequence(der_oid("1.2.840.10045.4.3.2"))
ALG_NULL = der_sequence(der_oid("1.2.840.10045.4.3.2"), der_null())


def _compressed():
    point = SUBJECT_KEY.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    t = org().set("subject_key_identifier", x509.SubjectKeyIdentifier(key_identifier(point)), False)
    spki = der_sequence(der_sequence(der_oid("1.2.840.10045.2.1"), der_oid("1.2.840.10045.3.1.7")),
                        der_bit_string(point))
    def edit(parts):
        parts[6] = spki
    return patched(t, edit)


def _p384():
    k = key("p384", ec.SECP384R1()).public_key()
    return built(template("organisation-ds", k, eui=ORG_EUI, role=2, issuer=OCA))


def _dup_policies(exts):
    exts.append(exts[2])


def _explicit_false(exts):
    ski = der_octet_string(smki_key_identifier(SUBJECT_KEY.public_key()))
    exts[1] = der_sequence(der_oid(oid_of("subject_key_identifier")), der_boolean(False), der_octet_string(ski))


def _aki_garbage(exts):
    exts[3] = der_sequence(der_oid(oid_of("authority_key_identifier")), der_octet_string(b"\x30\x02\x05\x00"))


def _unique_id(parts):
    parts.insert(7, der_tlv(0x82, b"\x00\xAB"))


def _v2(parts):
    parts[0] = der_explicit(0, der_integer(1))


def _negative_serial(parts):
    parts[1] = der_tlv(0x02, b"\xC0" + bytes(range(1, 16)))


def _gentime_2029(parts):
    t = org()
    parts[4] = der_sequence(der_utc_time(t.not_before), der_generalized_time(t.not_after))


def _fractional(parts):
    parts[4] = der_sequence(der_utc_time(org().not_before), der_tlv(0x18, b"20291231235959.5Z"))


def _no_expiry_for_org():
    t = org()
    t.not_after = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    return built(t)


def _same_times(parts):
    nb = org().not_before
    parts[4] = der_sequence(der_utc_time(nb), der_utc_time(nb))


def _subject(t, name):
    t.subject = name
    return t


def _issued_by(t, issuer_cert, issuer_key):
    t.issuer = issuer_cert.subject
    t.set("authority_key_identifier", x509.AuthorityKeyIdentifier(
        issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest, None, None), False)
    return built(t, issuer_key)


def _q9_ca():
    return template("issuing-ca", OTHER_KEY.public_key(), issuer=ROOT, cn="Q9").build(ROOT_KEY)


def _dca_utf8():
    t = template("issuing-ca", DCA_KEY.public_key(), issuer=ROOT, cn="E357")
    t.subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "E357")])
    return t.build(ROOT_KEY)


def _oca_cn_only():
    t = template("issuing-ca", OCA_KEY.public_key(), issuer=ROOT)
    t.subject = dca_name("Z1")
    return t.build(ROOT_KEY)


def _hidden_key(t):
    spki = SUBJECT_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return t.set("extra", x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), spki), False)


def _uid_without_unused_octet():
    eui = bytes.fromhex("00DB123456780004")       # its first octet reads as "0 unused bits"
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "02"),
                      x509.NameAttribute(x509.ObjectIdentifier(oid_of("x500_unique_identifier")), eui,
                                         _type=_ASN1Type.BitString)])
    return built(_subject(org(), name))


def _org_name(ou="02", ou_type=None, extra=(), uid=True, ous=1):
    attrs = list(extra)
    for _ in range(ous):
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou, **({"_type": ou_type} if ou_type else {})))
    if uid:
        attrs.append(unique_identifier(ORG_EUI))
    return x509.Name(attrs)


def _two_names_san():
    san = x509.SubjectAlternativeName([hardware_module_name(DEV_EUI), x509.DNSName("meter.example")])
    return built(dev().set("subject_alt_name", san, True))


def _hw(eui=DEV_EUI, hw_type=None):
    return x509.SubjectAlternativeName([hardware_module_name(eui, hw_type)])


EKU = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])

# (rule, case id, DER-making callable, lint keyword arguments, expected rule set when not {rule})
CASES = [
    ("GBCS-X000", "garbage", lambda: b"\x30\x03\x02\x01", {}, None),
    ("GBCS-X001", "v2", lambda: patched(org(), _v2), {}, None),
    ("GBCS-X002", "negative-serial", lambda: patched(org(), _negative_serial), {}, None),
    ("GBCS-X003", "8-octet-serial", lambda: built(_serial(org(), 0x1122334455667788)), {}, None),
    ("GBCS-X004", "sha384", lambda: built(org(), None, hashes.SHA384()), {}, None),
    ("GBCS-X004", "outer-differs", lambda: patched(org(), lambda p: None,
                                                   outer_algorithm=der_sequence(der_oid("1.2.840.10045.4.3.3"))),
     {}, {"GBCS-X004", "GBCS-X103"}),
    ("GBCS-X005", "null-parameters", lambda: patched(org(), _null_params, outer_algorithm=ALG_NULL), {}, None),
    ("GBCS-X006", "p384-key", _p384, {}, None),
    ("GBCS-X007", "compressed-point", _compressed, {}, None),
    ("GBCS-X008", "ku-not-critical", lambda: built(org().set("key_usage", KU_DS, False)), {}, None),
    ("GBCS-X009", "ski-critical", lambda: built(org().set(
        "subject_key_identifier", x509.SubjectKeyIdentifier(smki_key_identifier(SUBJECT_KEY.public_key())), True)),
     {}, None),
    ("GBCS-X010", "ski-method-1", lambda: built(org().set(
        "subject_key_identifier", x509.SubjectKeyIdentifier.from_public_key(SUBJECT_KEY.public_key()), False)),
     {}, None),
    ("GBCS-X011", "cp-not-critical", lambda: built(org().set("certificate_policies", policies(ORG_POLICY), False)),
     {}, None),
    ("GBCS-X012", "aki-with-issuer", lambda: built(org().set("authority_key_identifier", x509.AuthorityKeyIdentifier(
        smki_key_identifier(OCA_KEY.public_key()), [x509.DirectoryName(OCA.subject)], OCA.serial_number), False)),
     {}, None),
    ("GBCS-X013", "subject-unique-id", lambda: patched(org(), _unique_id), {}, None),
    ("GBCS-X014", "gentime-before-2050", lambda: patched(org(), _gentime_2029), {}, None),
    ("GBCS-X014", "fractional-seconds", lambda: patched(org(), _fractional), {}, None),
    ("GBCS-X015", "duplicate-extension", lambda: with_extensions(org(), _dup_policies), {}, None),
    ("GBCS-X015", "explicit-false", lambda: with_extensions(org(), _explicit_false), {}, None),
    ("GBCS-X017", "raw-r-s", lambda: _signature_as("raw"), {}, None),
    ("GBCS-X017", "ber-integers", lambda: _signature_as("ber"), {}, None),
    ("GBCS-X015", "aki-not-der", lambda: with_extensions(org(), _aki_garbage), {},
     {"GBCS-X015", "GBCS-X012", "GBCS-X102"}),
    ("GBCS-X016", "no-profile", lambda: built(_subject(org(), x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "anyone")]))), {}, None),
    ("GBCS-X101", "utf8-issuer", lambda: built(_issuer(org(), x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"), x509.NameAttribute(NameOID.COMMON_NAME, "Z1")]))),
     {}, None),
    ("GBCS-X102", "aki-differs", lambda: built(org().set("authority_key_identifier", x509.AuthorityKeyIdentifier(
        bytes.fromhex("4000000000000001"), None, None), False)), {}, None),
    ("GBCS-X103", "fake-z1", lambda: built(org(), OTHER_KEY), {}, None),
    ("GBCS-X104", "outlives-ca", lambda: built(org(not_before=dt.datetime(2040, 1, 1, tzinfo=UTC))), {}, None),
    ("GBCS-X105", "no-issuer", lambda: built(org()), {"issuers": []}, None),
    ("GBCS-X106", "issuer-not-accepted", lambda: _issued_by(org(), _q9_ca(), OTHER_KEY),
     {"issuers": POOL + [_q9_ca()]}, None),
    ("GBCS-X201", "device-expires", lambda: built(_expiring(dev())), {}, None),
    ("GBCS-X202", "device-subject", lambda: built(_subject(dev(), x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, DEV_EUI.hex())]))), {}, None),
    ("GBCS-X203", "device-both-usages", lambda: built(dev().set("key_usage", KU_BOTH, True)), {}, None),
    ("GBCS-X203", "ds-in-ka-slot", lambda: built(dev("ds")), {"expected_usage": "ka"}, None),
    ("GBCS-X204", "device-two-policies", lambda: built(dev().set("certificate_policies",
                                                                 policies(DEVICE_POLICY, ORG_POLICY), True)), {}, None),
    ("GBCS-X205", "device-san-not-critical", lambda: built(dev().set("subject_alt_name", _hw(), False)), {}, None),
    ("GBCS-X206", "device-two-names", _two_names_san, {}, None),
    ("GBCS-X207", "device-7-octet-eui", lambda: built(dev().set("subject_alt_name", _hw(DEV_EUI[:7]), True)), {}, None),
    ("GBCS-X207", "device-wrong-eui", lambda: built(dev()), {"expected_eui": "AB000000000000E2"}, None),
    ("GBCS-X208", "device-hw-type", lambda: built(dev().set("subject_alt_name", _hw(hw_type="1.2.3.4"), True)), {}, None),
    ("GBCS-X209", "device-hidden-key", lambda: built(_hidden_key(dev())), {}, {"GBCS-X209", "GBCS-X210"}),
    ("GBCS-X210", "device-eku", lambda: built(dev().set("eku", EKU, False)), {}, None),
    ("GBCS-X211", "device-utf8-issuer", lambda: _issued_by(dev(), _dca_utf8(), DCA_KEY),
     {"issuers": [ROOT, _dca_utf8()]}, None),
    ("GBCS-X301", "two-ous", lambda: built(_subject(org(), _org_name(ous=2))), {}, None),
    ("GBCS-X302", "printable-ou", lambda: built(_subject(org(), _org_name(ou_type=_ASN1Type.PrintableString))), {}, None),
    ("GBCS-X302", "decimal-ou", lambda: built(_subject(org(), _org_name(ou="137"))), {}, {"GBCS-X302", "GBCS-X303"}),
    ("GBCS-X303", "ca-role-ou", lambda: built(_subject(org(), _org_name(ou="07"))), {}, None),
    ("GBCS-X304", "uid-without-unused-octet", _uid_without_unused_octet, {}, None),
    ("GBCS-X304", "uid-wrong-eui", lambda: built(org()), {"expected_eui": "AB00000000010001"}, None),
    ("GBCS-X305", "extra-o", lambda: built(_subject(org(), _org_name(
        extra=[x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")]))), {}, None),
    ("GBCS-X306", "org-both-usages", lambda: built(org().set("key_usage", KU_BOTH, True)), {}, None),
    ("GBCS-X307", "org-san", lambda: built(org().set("san", x509.SubjectAlternativeName(
        [x509.DNSName("acme.example")]), False)), {}, {"GBCS-X307", "GBCS-X312"}),
    ("GBCS-X308", "org-basic-constraints", lambda: built(org().set(
        "basic_constraints", x509.BasicConstraints(False, None), True)), {}, {"GBCS-X308", "GBCS-X312"}),
    ("GBCS-X309", "org-same-times", lambda: patched(org(), _same_times), {}, None),
    ("GBCS-X309", "org-no-expiry", _no_expiry_for_org, {}, {"GBCS-X309", "GBCS-X104"}),
    ("GBCS-X310", "org-device-policy", lambda: built(org().set("certificate_policies", policies(DEVICE_POLICY), True)),
     {}, None),
    ("GBCS-X311", "org-issuer-cn-only", lambda: _issued_by(org(), _oca_cn_only(), OCA_KEY),
     {"issuers": [ROOT, _oca_cn_only()]}, None),
    ("GBCS-X312", "org-eku", lambda: built(org().set("eku", EKU, False)), {}, None),
    ("GBCS-X401", "ca-keycertsign-only", lambda: built(ca().set("key_usage", x509.KeyUsage(
        False, False, False, False, False, True, False, False, False), True)), {}, None),
    ("GBCS-X402", "ca-bc-not-critical", lambda: built(ca().set("basic_constraints", x509.BasicConstraints(True, 0), False)),
     {}, None),
    ("GBCS-X403", "ca-supplier-ou", lambda: built(_subject(ca(), x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "02", _type=_ASN1Type.PrintableString),
        x509.NameAttribute(NameOID.COMMON_NAME, "Z7", _type=_ASN1Type.PrintableString)]))), {}, None),
    ("GBCS-X404", "root-not-self-signed", lambda: built(_subject(ca(), ca_name("ZB", "root"))), {}, None),
    ("GBCS-X405", "ca-eku", lambda: built(ca().set("eku", EKU, False)), {}, None),
    ("GBCS-X406", "ca-unique-id", lambda: built(_subject(ca(), x509.Name(
        list(ca_name("Z7")) + [unique_identifier(ORG_EUI)]))), {}, None),
]


def _signature_as(form: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    data = built(org())
    parts = tbs_parts(data)
    tbs = der_sequence(*parts)
    r, s = decode_dss_signature(OCA_KEY.sign(tbs, ec.ECDSA(hashes.SHA256())))
    while form == "raw" and r >> 248 == 0x30:     # r||s starting 30 reads as a BER SEQUENCE: sign again
        r, s = decode_dss_signature(OCA_KEY.sign(tbs, ec.ECDSA(hashes.SHA256())))
    if form == "raw":
        value = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:                                         # BER: a redundant leading 00 before each INTEGER
        def padded(n):
            return der_tlv(0x02, b"\x00" + der_integer(n)[2:])
        value = der_sequence(padded(r), padded(s))
    return der_sequence(tbs, ALG, der_bit_string(value))


def _serial(t, serial):
    t.serial = serial
    return t


def _null_params(parts):
    parts[2] = ALG_NULL


def _issuer(t, name):
    t.issuer = name
    return t


def _expiring(t):
    t.not_after = dt.datetime(2035, 1, 1, tzinfo=UTC)
    return t


@pytest.mark.parametrize("rule,make,kwargs,expected", [pytest.param(r, m, k, e, id=f"{r}-{i}")
                                                       for r, i, m, k, e in CASES])
def test_rule_fires_on_its_breaking_certificate(rule, make, kwargs, expected):
    got = rule_set(make(), **kwargs)
    assert got == (expected or {rule}), got


def test_every_certificate_rule_has_a_breaking_case():
    keystore_rules = {"GBCS-X501", "GBCS-X502"}           # tests/smki/test_smki_sources.py
    declared = {r.id for r in rules().values() if r.topic == "certificate"}
    assert declared - keystore_rules == {c[0] for c in CASES}


@pytest.mark.parametrize("make", [
    lambda: built(org("ds")), lambda: built(org("ka")), lambda: built(dev("ds")), lambda: built(dev("ka")),
    lambda: built(ca()), lambda: built(root(), SUBJECT_KEY), lambda: built(root().drop("authority_key_identifier"),
                                                                           SUBJECT_KEY),
    lambda: der(ROOT), lambda: der(OCA),
    lambda: built(org(cn="ACME SUPPLIER")),
], ids=["org-ds", "org-ka", "dev-ds", "dev-ka", "issuing-ca", "root", "root-without-aki", "pki-root", "pki-oca",
        "org-with-cn"])
def test_conforming_templates_are_clean(make):
    assert rule_set(make()) == set()


def test_profile_is_detected_and_can_be_forced():
    from gbcs.smki import lint_certificate
    assert lint_certificate(built(dev("ka")), issuers=POOL).profile == "device-ka"
    assert lint_certificate(built(org("ds")), issuers=POOL).profile == "organisation-ds"
    assert lint_certificate(der(ROOT)).profile == "root"
    forced = lint_certificate(built(org("ds")), profile="device-ds", issuers=POOL)
    assert forced.profile == "device-ds"
    assert {"GBCS-X201", "GBCS-X202", "GBCS-X205"} <= {f.rule for f in forced.findings}


def test_environment_configures_policies():
    from gbcs.smki import Environment
    data = built(org().set("certificate_policies", policies("1.2.3.4.5"), True))
    assert rule_set(data) == {"GBCS-X310"}
    env = Environment.named("test").extended(policies=[("organisation", "1.2.3.4.5")])
    assert rule_set(data, environment=env) == set()


def test_findings_carry_offsets_and_paths():
    from gbcs.smki import lint_certificate
    data = built(org().set("key_usage", KU_DS, False))
    (f,) = lint_certificate(data, issuers=POOL).findings
    assert f.field.startswith("certificate.tbs_certificate.extensions") and data[f.offset] == 0x30


def test_a_crashing_check_becomes_a_finding_of_its_rule():
    from gbcs.smki import checks, lint_certificate
    from gbcs.smki.registry import CHECKS
    def boom(ctx):
        raise RuntimeError("bug")
    index = next(i for i, c in enumerate(CHECKS) if c.function is checks.version_3)
    original = CHECKS[index]
    CHECKS[index] = original.__class__(original.rules, boom, original.families, original.needs_issuer)
    try:
        got = lint_certificate(built(org()), issuers=POOL).findings
    finally:
        CHECKS[index] = original
    assert [f.rule for f in got] == ["GBCS-X001"] and "failed (RuntimeError: bug)" in got[0].message


def test_lint_certificate_is_exported():
    import gbcs
    assert gbcs.lint_certificate(built(org()), issuers=POOL).findings == []
