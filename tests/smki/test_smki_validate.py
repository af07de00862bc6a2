"""`gbcs validate` lints the certificates a message carries: findings on the message, at the
certificate's offset and field path; and the RTDS corpus (GBCS_RTDS) lints as the samples say."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from gbcs import validate
from gbcs.builder import Envelope, general_signing
from gbcs.payload.asn1 import build_join_command
from gbcs.smki.sources import lint_paths
from gbcs.validate.engine import checks
from smki_world import DEV_EUI, ORG_EUI, dev, org, signer_of

ORG_POLICY = "1.2.826.0.1.8641679.1.2.1.4"
DLMS_GET = bytes.fromhex("D9200003E800010100010000000201FF020100")    # ECS52 read firmware version


def _der(t):
    return t.der(signer_of(t))


def _join_command(certificate: bytes) -> bytes:
    env = Envelope("command", 1004, ORG_EUI, DEV_EUI, 0x00AF)
    return general_signing(env, build_join_command("method_c", DEV_EUI, "esme", certificate), b"")


def test_certificate_rules_are_a_validate_topic():
    assert any("GBCS-X011" in c.rules for c in checks())


def test_payload_certificate_findings_land_on_the_message():
    bad = dev("ka").set("certificate_policies", x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(ORG_POLICY), None)]), False)
    data = _join_command(_der(bad))
    v = validate(data, select=["certificate"])
    rules = {f.rule: f for f in v.findings}
    assert set(rules) == {"GBCS-X011", "GBCS-X105"}           # no DCA in a keystore
    f = rules["GBCS-X011"]
    assert f.field.startswith("message.payload.join_device_command.certificate.tbs_certificate.extensions")
    assert data[f.offset] == 0x30 and v.ok and f.severity == "warning"   # the carrier is well formed


def test_other_information_certificate_must_be_key_agreement():
    env = Envelope("command", 1300, ORG_EUI, DEV_EUI, 0x0059, srp_id=ORG_EUI, srp_counter=1,
                   certificate=_der(org("ds")))
    data = general_signing(env, DLMS_GET, b"")
    v = validate(data, select=["GBCS-X3"])
    assert [f.rule for f in v.findings] == ["GBCS-X306"]
    assert v.findings[0].field.startswith("message.grouping_header.other_information.certificate")


def test_messages_without_certificates_have_no_certificate_findings():
    env = Envelope("command", 1, ORG_EUI, DEV_EUI, 0x0059)
    v = validate(general_signing(env, DLMS_GET, b""), select=["certificate"])
    assert v.findings == []


# -- the RTDS corpus ---------------------------------------------------------------------

# The expectations of smki-sample-certs.tsv for the RTDS keystore, as facts per certificate
# (SMKI-GEN-0nn = GBCS-X0nn, CHN-00n = X10n, DEV-0nn = X2nn, ORG-0nn = X3nn, CA-00n = X40n).
# Every other keystore certificate breaks no rule.
LOAD_CONTROLLER = {"GBCS-X101", "GBCS-X102", "GBCS-X103", "GBCS-X104", "GBCS-X012", "GBCS-X312"}
RTDS_KEYSTORE_FINDINGS = {
    "90b3d51f30000007-ka.pem": {"GBCS-X304"},     # supplier 2's KA certificate filed as the WAN provider's
    "90b3d51f30010008-ds.pem": LOAD_CONTROLLER,   # UTF8String issuer, no AKI, another key named Z1
    "90b3d51f30010008-ka.pem": LOAD_CONTROLLER,
    "fffffffffffffffe-ka.pem": {"GBCS-X000"},     # a bare public key
    # Not in the samples table: their signature's s INTEGER has a redundant leading 00 (BER, not DER)
    "00db123456789023-ka.pem": {"GBCS-X017"},
    "00db12345678909b-ds.pem": {"GBCS-X017"},
}
# Not profile rules: the keystore layout and the missing DCA E357 certificate.
LAYOUT_RULES = {"GBCS-X501", "GBCS-X105"}
Z1_MESSAGE = "6.15.1_CS02bSupplierBySupplier/CS02bSupplierBySupplier_6.15.1_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX"


def _z1(rtds_dir: Path) -> bytes:
    """The issuing OCA Z1 certificate, carried in the certification path of an RTDS CS02b command."""
    import gbcs
    data = bytes.fromhex((rtds_dir / "RTDS-4.5.0" / Z1_MESSAGE).read_text().strip())
    node = gbcs.decode(data).find(
        "payload.update_security_credentials_command.certification_path_certificates.certificate[0]")
    return data[node.start:node.end]


@pytest.fixture(scope="module")
def rtds_dir(rtds) -> Path:
    return rtds[0][0].parents[2]


def test_rtds_keystore_lints_as_the_samples_say(rtds_dir, tmp_path):
    ca = tmp_path / "z1.der"
    ca.write_bytes(_z1(rtds_dir))
    results = lint_paths([rtds_dir / "keystore"], ca_paths=[ca])
    got = {Path(r.source).name: r for r in results}
    assert len(got) == 417                          # 416 certificates and the bare public key
    for name, result in got.items():
        rules = {f.rule for f in result.findings}
        assert rules - LAYOUT_RULES == RTDS_KEYSTORE_FINDINGS.get(name, set()), name
        if name.startswith("00db"):
            assert result.profile == f"device-{name[-6:-4]}" and result.eui == name[:16].upper()
            assert "GBCS-X105" in rules             # DCA E357 is not among the samples
        elif name.startswith("90b3"):
            assert result.profile == f"organisation-{name[-6:-4]}" and "GBCS-X105" not in rules
    # the mislabelled pair: the same certificate under two names
    assert "GBCS-X501" in {f.rule for f in got["90b3d51f30030000-ka.pem"].findings}
    assert "GBCS-X501" in {f.rule for f in got["90b3d51f30000007-ka.pem"].findings}


def test_rtds_z1_is_an_issuing_ca(rtds_dir):
    from gbcs.smki import lint_certificate
    result = lint_certificate(_z1(rtds_dir))
    assert result.profile == "issuing-ca" and {f.rule for f in result.findings} == {"GBCS-X105"}


@pytest.mark.parametrize("message,expected", [
    ("8.7.1_CS03CCritical/CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX", {"GBCS-X011"}),
    ("6.15.2_CS02d/CS02d_6.15.2_ERROR_COMMAND_GBCS.HEX", {"GBCS-X203"}),
    (Z1_MESSAGE, set()),
    ("4.14_GCS16b/GCS16b_4.14_URP_SUCCESS_COMMAND_GBCS.HEX", set()),
])
def test_rtds_message_certificates(rtds_dir, message, expected):
    data = bytes.fromhex((rtds_dir / "RTDS-4.5.0" / message).read_text().strip())
    v = validate(data, select=["certificate"], ignore=["GBCS-X105"])
    assert {f.rule for f in v.findings} == expected
    assert v.ok                               # a carried certificate's breach warns on its message
