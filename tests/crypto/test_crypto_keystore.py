"""Keystores: RTDS-layout directories, DCC Boxed JSON, certificates from messages."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from gbcs.crypto import KeyEntry, Keystore, generate_keypair, make_certificate, write_keystore
from gbcs.crypto.keystore import normalise_eui, public_point
from gbcs.crypto.signing import private_key_pem
from gbcs.errors import KeystoreError

from crypto_world import ACB, DEVICE, SUPPLIER, world  # noqa: F401 (fixtures)


def pem(cert) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_directory_lookup_by_eui_usage_and_prepayment(world):
    ks = world.keystore
    for eui in (SUPPLIER, SUPPLIER.hex(), SUPPLIER.hex().upper(), "90-B3-D5-1F-30-01-00-00", "90:b3:d5:1f:30:01:00:00"):
        (e,) = ks.find(eui, "ka")
        assert e.has_private and not e.prepayment
    (pp,) = ks.find(SUPPLIER, "ka", prepayment=True)
    assert pp.prepayment and pp.has_private
    assert public_point(pp.public_key) != public_point(ks.find(SUPPLIER, "ka")[0].public_key)
    assert ks.find(SUPPLIER, "KA") == ks.find(SUPPLIER, "keyAgreement")
    (d,) = ks.find(DEVICE, "ds")
    assert not d.has_private and d.certificate is not None and d.kind == "device"
    assert ks.kind_of(DEVICE) == "device" and ks.kind_of(SUPPLIER) == "organisation"
    assert ks.kind_of("0102030405060708") is None
    assert ks.find("0102030405060708", "ds") == []
    assert ks.public_entries(DEVICE, "ka") and not ks.private_entries(DEVICE, "ka")


def test_pem_and_key_of_one_entity_make_one_entry(world):
    (e,) = world.keystore.find(ACB, "ds")
    assert ".pem" in e.source and ".key" in e.source
    assert public_point(e.private_key().public_key()) == public_point(e.public_key)


def test_bad_euis_and_usages():
    ks = Keystore()
    for bad in ("12345", "zz" * 8, b"\x00" * 7):
        with pytest.raises(KeystoreError):
            ks.find(bad, "ds")
    with pytest.raises(KeystoreError):
        ks.find(SUPPLIER, "xx")
    assert normalise_eui(bytearray(8)) == bytes(8)


def test_private_keys_are_parsed_when_the_keystore_loads(tmp_path):
    key = generate_keypair()
    write_keystore(tmp_path, {(SUPPLIER, "ds", False): (key, make_certificate(key, SUPPLIER, "ds", device=False))})
    (e,) = Keystore.load(tmp_path).find(SUPPLIER, "ds")
    assert e._private is not None and e.private_key() is e._private
    assert public_point(e.private_key().public_key()) == public_point(key.public_key())


@pytest.mark.parametrize("name, text, words", [
    ("90b3d51f30010000-ds.pem", "not a certificate", ["90b3d51f30010000-ds.pem", "certificate"]),
    ("90b3d51f30010000-ds.key", "plain text", ["90b3d51f30010000-ds.key", "PEM private key"]),
])
def test_bad_files_raise_keystore_error_naming_the_file(tmp_path, name, text, words):
    (tmp_path / name).write_text(text)
    with pytest.raises(KeystoreError) as err:
        Keystore.load([tmp_path])
    for w in words:
        assert w in str(err.value)


def test_private_key_in_a_pem_file_gets_a_hint(tmp_path):
    (tmp_path / "90b3d51f30010000-ds.pem").write_bytes(private_key_pem(generate_keypair()))
    with pytest.raises(KeystoreError, match=r"name it \.key"):
        Keystore.load(tmp_path)


def test_missing_paths_and_unknown_files(tmp_path):
    with pytest.raises(KeystoreError, match="no such file"):
        Keystore.load([tmp_path / "nope"])
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(KeystoreError, match="not a keystore"):
        Keystore.load([other])
    folder = tmp_path / "ks"
    folder.mkdir()
    (folder / "README.md").write_text("ignored silently")
    (folder / "supplier.pem").write_text("ignored with a warning")
    ks = Keystore.load(folder)
    assert len(ks) == 0 and any("supplier.pem" in w for w in ks.warnings)


def test_certificate_for_another_eui_is_kept_under_the_file_name_with_a_warning(tmp_path):
    # as RTDS 90b3d51f30000007-ka.pem, which holds supplier 2's certificate
    key = generate_keypair()
    write_keystore(tmp_path, {("90B3D51F30000007", "ka", False):
                              (key, make_certificate(key, "90B3D51F30030000", "ka", device=False))})
    ks = Keystore.load(tmp_path)
    assert ks.find("90B3D51F30000007", "ka") and not ks.find("90B3D51F30030000", "ka")
    assert any("90B3D51F30030000" in w for w in ks.warnings)


def test_bare_public_key_and_private_key_without_certificate(tmp_path):
    # as RTDS fffffffffffffffe-ka.pem and 123456789abcdef0-ka.key
    a, b = generate_keypair(), generate_keypair()
    (tmp_path / "fffffffffffffffe-ka.pem").write_bytes(a.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "123456789abcdef0-ka.key").write_bytes(private_key_pem(b))
    ks = Keystore.load(tmp_path)
    (pub,) = ks.find("FFFFFFFFFFFFFFFE", "ka")
    assert pub.certificate is None and not pub.has_private and pub.public_key is not None
    (priv,) = ks.find("123456789ABCDEF0", "ka")
    assert public_point(priv.public_key) == public_point(b.public_key())


def boxed_json(entries) -> dict:
    out: dict = {}
    for eui, usage, serial, cert, key, name, role in entries:
        item = {"certificate": pem(cert), "name": name, "role": role}
        if key is not None:
            item["privateKey"] = private_key_pem(key).decode()
        out.setdefault(eui, {}).setdefault(usage, {})[serial] = item
    return out


def test_boxed_json_keystore(tmp_path):
    ds, ka, pp, xml = generate_keypair(), generate_keypair(), generate_keypair(), generate_keypair()
    tree = boxed_json([
        ("90b3d51f30010000", "digitalSignature", "1", make_certificate(ds, SUPPLIER, "ds", device=False), ds,
         "Z1-supplier-ds", 2),
        ("90b3d51f30010000", "digitalSignature", "2", make_certificate(xml, SUPPLIER, "ds", device=False), xml,
         "xml-sign-90B3D51F30010000-ds", 135),
        ("90b3d51f30010000", "keyAgreement", "3", make_certificate(ka, SUPPLIER, "ka", device=False), ka,
         "Z1-supplier-ka", 2),
        ("90b3d51f30010000", "keyAgreement", "4", make_certificate(pp, SUPPLIER, "ka", device=False), None,
         "Z1-supplierPP-ka", 2),
    ])
    path = tmp_path / "keystore.json"
    path.write_text(json.dumps(tree))
    ks = Keystore.load([path])
    (d,) = ks.find(SUPPLIER, "ds")                 # the XML-signing key is not a GBCS key
    assert d.name == "Z1-supplier-ds" and d.role == 2 and d.serial is not None and d.has_private
    assert len(ks.find(SUPPLIER, "ds", include_non_gbcs=True)) == 2
    (k,) = ks.find(SUPPLIER, "ka")
    (p,) = ks.find(SUPPLIER, "ka", prepayment=True)
    assert k.name == "Z1-supplier-ka" and p.name == "Z1-supplierPP-ka" and not p.has_private
    assert ks.kind_of(SUPPLIER) == "organisation"
    assert "keystore.json#/90b3d51f30010000/digitalSignature/1" in d.source


def test_directory_and_json_combine(world, tmp_path):
    key = generate_keypair()
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(boxed_json([("0102030405060708", "keyAgreement", "9",
                                            make_certificate(key, "0102030405060708", "ka", device=False),
                                            key, "other-ka", 127)])))
    ks = Keystore.load([world.folder, path])
    assert ks.find("0102030405060708", "ka") and ks.find(SUPPLIER, "ds")
    assert len(ks.sources) == 2


@pytest.mark.parametrize("tree, where", [
    ([1, 2], "JSON object"),
    ({"xyz": {}}, "not an EUI-64"),
    ({"90b3d51f30010000": {"signing": {}}}, "unknown key usage"),
    ({"90b3d51f30010000": {"keyAgreement": {"1": {"name": "x"}}}}, "neither a certificate nor a privateKey"),
    ({"90b3d51f30010000": {"keyAgreement": {"1": {"certificate": "junk"}}}}, "/keyAgreement/1/certificate"),
    ({"90b3d51f30010000": {"keyAgreement": {"1": {"privateKey": "junk"}}}}, "/keyAgreement/1/privateKey"),
    ({"90b3d51f30010000": {"keyAgreement": {"1": {"privateKey": 5}}}}, "expected a string"),
])
def test_bad_json_keystores(tmp_path, tree, where):
    path = tmp_path / "k.json"
    path.write_text(json.dumps(tree))
    with pytest.raises(KeystoreError) as err:
        Keystore.load(path)
    assert where in str(err.value) and "k.json" in str(err.value)


def test_invalid_json(tmp_path):
    path = tmp_path / "k.json"
    path.write_text("{not json")
    with pytest.raises(KeystoreError, match="not valid JSON"):
        Keystore.load(path)


def test_add_certificate_takes_eui_and_usage_from_the_certificate():
    ks = Keystore()
    key = generate_keypair()
    der = make_certificate(key, DEVICE, "ka").public_bytes(serialization.Encoding.DER)
    e = ks.add_certificate(der, source="message X")
    assert (e.eui, e.usage, e.kind, e.origin) == (DEVICE, "ka", "device", "message")
    assert ks.add_certificate(der) is e                          # not twice
    org = make_certificate(key, SUPPLIER, "ds", device=False)
    assert ks.add_certificate(pem(org)).eui == SUPPLIER
    with pytest.raises(KeystoreError):
        ks.add_certificate(b"\x30\x03\x02\x01\x00")


def test_message_certificates_come_after_keystore_keys(world):
    ks = Keystore.load(world.folder)
    extra = make_certificate(generate_keypair(), SUPPLIER, "ds", device=False)
    ks.add_certificate(extra)
    entries = ks.find(SUPPLIER, "ds")
    assert [e.origin for e in entries] == ["keystore", "message"]


def test_reprs_name_keys_but_never_show_them(world):
    ks = world.keystore
    text = repr(ks) + str(ks) + "".join(repr(e) + str(e) + e.describe() + str(e.to_dict()) for e in ks)
    for e in ks:
        if e.has_private:
            secret = e.private_key().private_numbers().private_value
            assert f"{secret:x}" not in text.lower()
    assert "PRIVATE" not in text and "BEGIN" not in text
    assert isinstance(next(iter(ks)), KeyEntry)


def test_lookup_by_role(world):
    ks = world.keystore
    assert ks.find(ACB, "ka", role=4) == ks.find(ACB, "ka") and ks.find(ACB, "ka", role=2) == []
    assert ks.find(SUPPLIER, "ds")[0].role == 2            # from the certificate's OU
    assert ks.find(DEVICE, "ds")[0].role is None


def _other_keys():
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    encrypted = generate_keypair().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.BestAvailableEncryption(b"secret"))
    return {
        "corrupt": (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a readable PEM"),
        "p384": (private_key_pem(ec.generate_private_key(ec.SECP384R1())), "secp384r1, not P-256"),
        "rsa": (private_key_pem(rsa.generate_private_key(65537, 1024)), "is RSA, not EC"),
        "password": (encrypted, "password-protected"),
    }


@pytest.mark.parametrize("kind", ["corrupt", "p384", "rsa", "password"])
def test_bad_private_keys_are_refused_when_the_keystore_loads(tmp_path, kind):
    data, words = _other_keys()[kind]
    (tmp_path / "90b3d51f30010000-ds.key").write_bytes(data)
    with pytest.raises(KeystoreError, match=words) as err:
        Keystore.load(tmp_path)
    assert "90b3d51f30010000-ds.key" in str(err.value)
    boxed = tmp_path / "boxed.json"
    boxed.write_text(json.dumps({SUPPLIER.hex(): {"digitalSignature": {"1": {"privateKey": data.decode()}}}}))
    with pytest.raises(KeystoreError, match=words) as err:
        Keystore.load(boxed)
    assert "boxed.json" in str(err.value) and "privateKey" in str(err.value)


def test_private_key_must_match_its_certificate(tmp_path):
    cert_key, other = generate_keypair(), generate_keypair()
    write_keystore(tmp_path, {(SUPPLIER, "ds", False): (other, make_certificate(cert_key, SUPPLIER, "ds",
                                                                                device=False))})
    with pytest.raises(KeystoreError, match="not one key pair") as err:
        Keystore.load(tmp_path)
    assert "90b3d51f30010000-ds.key" in str(err.value) and "90b3d51f30010000-ds.pem" in str(err.value)


def test_bare_public_key_where_a_certificate_is_expected(tmp_path):
    public = generate_keypair().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    boxed = tmp_path / "boxed.json"
    boxed.write_text(json.dumps({SUPPLIER.hex(): {"keyAgreement": {"7": {"certificate": public}}}}))
    with pytest.raises(KeystoreError, match="bare public key where an X.509 certificate is expected") as err:
        Keystore.load(boxed)
    assert f"boxed.json#/{SUPPLIER.hex()}/keyAgreement/7/certificate" in str(err.value)


def test_keystore_json_nested_too_deep_is_a_keystore_error(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(KeystoreError, match="nested too deeply") as err:
        Keystore.load(deep)
    assert "deep.json" in str(err.value)


def test_key_pairs_remembered_until_the_keystore_grows():
    from gbcs.crypto.decrypt import key_pairs
    a, b = bytes.fromhex("00DB1234567890A0"), bytes.fromhex("90B3D51F30010000")
    ks = Keystore()
    mine = ks.add_key(a, "ka", private_key=generate_keypair())
    theirs = ks.add_key(b, "ka", public_key=generate_keypair().public_key())
    first = key_pairs(ks, a, b)
    assert first == [(mine, theirs)]
    first.append("changed by the caller")                 # the remembered list is not the caller's
    assert key_pairs(ks, a, b) == [(mine, theirs)]
    other = ks.add_key(b, "ka", public_key=generate_keypair().public_key())
    assert key_pairs(ks, a, b) == [(mine, theirs), (mine, other)]     # a new entry is seen at once
    assert key_pairs(Keystore(), a, b) == []


def test_lookups_follow_every_change_to_the_keystore(world):
    """public_entries, private_entries and kind_of are remembered between messages, and
    forgotten whenever an entry is added."""
    ks = Keystore.load([world.folder])
    other = bytes.fromhex("AB000000000000F1")
    assert ks.public_entries(other, "ka") == [] and ks.private_entries(other, "ka") == []
    assert ks.kind_of(other) is None
    cert = make_certificate(generate_keypair(), other, "ka")
    added = ks.add_certificate(cert, source="a message")
    assert ks.public_entries(other, "ka") == [added] and ks.kind_of(other) == "device"
    assert ks.private_entries(other, "ka") == []
    key = generate_keypair()
    mine = ks.add_key(other, "ka", private_key=key, public_key=key.public_key())
    assert ks.private_entries(other, "ka") == [mine]
    assert ks.public_entries(other.hex(), "ka") == [mine, added]     # the EUI as text too; message keys last
    found = ks.public_entries(other, "ka")
    found.append("changed by the caller")
    assert ks.public_entries(other, "ka") == [mine, added]           # callers get their own list
    assert ks.public_entries(bytearray(other), "ka") == [mine, added]  # unhashable EUIs are looked up


def test_labels_follow_the_entry(world):
    ks = Keystore.load([world.folder])
    entry = next(iter(ks))
    first = entry.label()
    assert entry.label() is first                        # made once
    entry.prepayment = not entry.prepayment
    assert entry.label() != first and entry.label().startswith(entry.eui.hex().upper())
