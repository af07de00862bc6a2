"""Private keys never appear in any output, error or log."""
from __future__ import annotations

import base64
import json
import logging

import pytest
from cryptography.hazmat.primitives import serialization

from gbcs.crypto import Keystore, check_integrity, generate_keypair, sign_precommand
from gbcs.crypto.signing import load_private_key
from gbcs.errors import KeystoreError

from crypto_world import SUPPLIER, world  # noqa: F401 (fixtures)


def secrets_of(key) -> list[str]:
    """Every form a private key could be printed in."""
    value = key.private_numbers().private_value
    raw = value.to_bytes(32, "big")
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return [raw.hex(), raw.hex().upper(), str(value), base64.b64encode(raw).decode(),
            base64.b64encode(der).decode()[:40], repr(raw)[2:-1], *body_lines]


def assert_clean(text: str, keys) -> None:
    for key in keys:
        for secret in secrets_of(key):
            assert secret not in text, "private key material in output"
    assert "PRIVATE KEY" not in text


def test_results_keystore_and_errors_show_no_key_material(world, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    keys = list(world.keys.values())
    stranger = generate_keypair()
    outputs = []
    for msg in (world.command(signed=True), world.response(), world.alert(), world.signed_response(),
                world.precommand(), sign_precommand(world.precommand(), stranger)):
        for ks in (world.keystore, None, Keystore()):
            outputs.append(json.dumps(check_integrity(msg, ks).to_dict()))
            outputs.append(repr(check_integrity(msg, ks)))
    ks = world.keystore
    outputs += [repr(ks), str(ks), json.dumps(ks.summary())]
    outputs += [repr(e) + str(e) + json.dumps(e.to_dict()) for e in ks]
    # an unreadable key file: the error names the file, not its content
    bad = tmp_path / "bad"
    bad.mkdir()
    pem = world.priv(SUPPLIER, "ds").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    lines = pem.splitlines()
    (bad / "90b3d51f30010000-ds.key").write_text("\n".join(lines[:2] + ["!!!!"] + lines[2:]))
    with pytest.raises(KeystoreError) as err:
        Keystore.load(bad).find(SUPPLIER, "ds")[0].private_key()
    outputs.append(str(err.value) + repr(err.value) + json.dumps(err.value.to_dict()))
    with pytest.raises(KeystoreError) as err2:
        load_private_key(bad / "90b3d51f30010000-ds.key")
    outputs.append(str(err2.value))
    outputs.append("\n".join(r.getMessage() for r in caplog.records))
    assert_clean("\n".join(outputs), keys + [stranger])
