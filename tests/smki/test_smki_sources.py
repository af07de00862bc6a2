"""Keystores and folders: names say what each certificate must be (GBCS-X304/X207/X203), the same
certificate filed twice (GBCS-X501), a private key that is not the certificate's (GBCS-X502);
and the `gbcs cert lint` command over them."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from gbcs.cli import main
from gbcs.smki.sources import lint_paths
from smki_world import DEV_EUI, OCA, ORG_EUI, OTHER_KEY, ROOT, SUBJECT_KEY, dev, org, signer_of

OTHER_EUI = "ab00000000000007"


def pem(t) -> bytes:
    return t.build(signer_of(t)).public_bytes(serialization.Encoding.PEM)


def key_pem(k) -> bytes:
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture()
def pki(tmp_path):
    cas = tmp_path / "ca"
    cas.mkdir()
    (cas / "root.pem").write_bytes(ROOT.public_bytes(serialization.Encoding.PEM))
    (cas / "oca.pem").write_bytes(OCA.public_bytes(serialization.Encoding.PEM))
    return cas


@pytest.fixture()
def keystore(tmp_path):
    ks = tmp_path / "keystore"
    ks.mkdir()
    org_hex, dev_hex = ORG_EUI.hex(), DEV_EUI.hex()
    (ks / f"{org_hex}-ds.pem").write_bytes(pem(org("ds")))
    (ks / f"{org_hex}-ds.key").write_bytes(key_pem(SUBJECT_KEY))
    ka = pem(org("ka"))                                                       # ECDSA is randomised: build once
    (ks / f"{org_hex}-ka.pem").write_bytes(ka)
    (ks / f"{org_hex}-ka.key").write_bytes(key_pem(OTHER_KEY))                 # not its key
    (ks / f"{OTHER_EUI}-ka.pem").write_bytes(ka)                               # mislabelled copy
    (ks / f"{dev_hex}-ka.pem").write_bytes(pem(dev("ds")))                     # a DS certificate in a KA slot
    (ks / "fffffffffffffffe-ka.pem").write_bytes(SUBJECT_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (ks / "notes.txt").write_text("ignored")
    return ks


def by_name(results):
    return {r.source.rsplit("/", 1)[-1]: {f.rule for f in r.findings} for r in results}


def test_keystore_consistency(keystore, pki):
    got = by_name(lint_paths([keystore], ca_paths=[pki]))
    org_hex, dev_hex = ORG_EUI.hex(), DEV_EUI.hex()
    assert got[f"{org_hex}-ds.pem"] == set()
    assert got[f"{org_hex}-ka.pem"] == {"GBCS-X501", "GBCS-X502"}
    assert got[f"{OTHER_EUI}-ka.pem"] == {"GBCS-X304", "GBCS-X501"}
    assert got[f"{dev_hex}-ka.pem"] == {"GBCS-X203", "GBCS-X105"}              # no DCA given
    assert got["fffffffffffffffe-ka.pem"] == {"GBCS-X000"}
    assert "notes.txt" not in got


def test_boxed_keystore_json(tmp_path, pki):
    entry = {"certificate": pem(org("ds")).decode(), "privateKey": key_pem(SUBJECT_KEY).decode(),
             "name": "Z1-supplier-ds", "role": 2}
    store = {ORG_EUI.hex().upper(): {"digitalSignature": {"1": entry}},
             OTHER_EUI.upper(): {"keyAgreement": {"2": dict(entry, name="wrong-ka")}},
             "AB00000000020000": {"digitalSignature": {"3": dict(entry, name="wrong-role-ds", role=3)}}}
    path = tmp_path / "keystore.json"
    path.write_text(json.dumps(store))
    results = lint_paths([path], ca_paths=[pki])
    rules = {r.source.split("(")[-1].rstrip(")"): {f.rule for f in r.findings} for r in results}
    assert rules["Z1-supplier-ds"] == {"GBCS-X501"}
    assert rules["wrong-ka"] == {"GBCS-X304", "GBCS-X306", "GBCS-X501"}
    assert rules["wrong-role-ds"] == {"GBCS-X303", "GBCS-X304", "GBCS-X501"}


def run(*args):
    return CliRunner().invoke(main, ["cert", "lint", *args], catch_exceptions=False)


def test_cli_jsonl_records(keystore, pki):
    result = run("--format", "jsonl", "--ca", str(pki), str(keystore))
    assert result.exit_code == 1                      # GBCS-X000 and X502 are errors
    records = [json.loads(line) for line in result.output.splitlines()]
    assert all(set(r) == {"source", "profile", "eui", "role", "findings"} for r in records)
    good = next(r for r in records if r["source"].endswith(f"{ORG_EUI.hex()}-ds.pem"))
    assert good == {"source": good["source"], "profile": "organisation-ds", "eui": ORG_EUI.hex().upper(),
                    "role": "02 (supplier)", "findings": []}
    bad = next(r for r in records if r["source"].endswith(f"{OTHER_EUI}-ka.pem"))
    assert {"rule", "topic", "severity", "message", "field"} <= set(bad["findings"][0])


def test_cli_exit_status_and_profile(tmp_path, pki):
    f = tmp_path / "org.pem"
    f.write_bytes(pem(org("ds")))
    assert run("--ca", str(pki), str(f)).exit_code == 0
    forced = run("--profile", "device-ds", "--ca", str(pki), str(f))
    assert forced.exit_code == 1 and "GBCS-X201" in forced.output
    assert run("--profile", "nonsense", str(f)).exit_code == 2
    assert run("--policy", "1.2.3", str(f)).exit_code == 2
    assert run("--ignore", "GBCS-X105", str(f)).exit_code == 0


def test_cli_policy_and_issuer_options(tmp_path, pki):
    f = tmp_path / "org.pem"
    f.write_bytes(pem(org("ds")))
    assert "GBCS-X310" not in run("--ca", str(pki), "--environment", "test", str(f)).output
    assert run("--environment", "nowhere", str(f)).exit_code == 2
    assert run("--environment", "none", "--ca", str(pki), str(f)).exit_code == 0       # nothing to compare
    strict = run("--environment", "none", "--policy", "organisation=1.2.3", "--ca", str(pki), str(f))
    assert "GBCS-X310" in strict.output


def test_cli_sarif(keystore, pki):
    result = run("--format", "sarif", "--ca", str(pki), str(keystore))
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    rule_ids = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} == rule_ids >= {"GBCS-X000", "GBCS-X304", "GBCS-X501", "GBCS-X502"}


def test_cli_text_escapes_what_it_did_not_write(tmp_path, pki):
    f = tmp_path / "evil\x1b[31m.pem"
    f.write_bytes(b"\x1b]0;owned\x07 not a certificate")
    result = run(str(f))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\\x1b" in result.output
    assert "GBCS-X000" in result.output


def test_a_pem_bundle_chains_within_itself(tmp_path):
    bundle = tmp_path / "chain.pem"
    bundle.write_bytes(pem(org("ka")) + OCA.public_bytes(serialization.Encoding.PEM)
                       + ROOT.public_bytes(serialization.Encoding.PEM))
    results = lint_paths([bundle])
    assert [r.source.rsplit("#", 1)[-1] for r in results] == ["1", "2", "3"]
    assert [r.profile for r in results] == ["organisation-ka", "issuing-ca", "root"]
    assert all(r.findings == [] for r in results), [r.findings for r in results]
