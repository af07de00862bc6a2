"""What validation caches (ECDH secrets per key pair, keystore certificates per keystore) never
changes an outcome: a wrong key still fails, two keystores in one process do not mix, and a
warm cache gives the results a cold one does."""
from __future__ import annotations

import sys

from gbcs.crypto import Keystore
from gbcs.validate import validate
from rule_world import ACB, ECS52, ESME, SUPPLIER, get_response, make_world, read_firmware, world  # noqa: F401

GET_RESPONSE = 0x0059


def _messages(w) -> list[bytes]:
    response = w.from_device("response", GET_RESPONSE, get_response(), signed=False)
    command = w.command(ECS52, read_firmware())
    tampered = bytearray(response)
    tampered[-1] ^= 0x01                                     # the MAC's last byte
    return [response, command, bytes(tampered), w.command(ECS52, read_firmware(counter=1001), counter=1001)]


def _outcome(data: bytes, keystore) -> dict:
    v = validate(data, keystore, acb=ACB)
    return {"status": v.status, "signature": v.signature, "mac": v.mac, "findings": [f.to_dict() for f in v.findings],
            "details": v.integrity.details if v.integrity is not None else None}


def test_two_keystores_in_one_process_do_not_mix(world, tmp_path):
    other = make_world(tmp_path)           # the same EUIs, other keys
    response = world.from_device("response", GET_RESPONSE, get_response())
    assert validate(response, world.keystore, acb=ACB).mac == "valid"
    assert validate(response, other.keystore, acb=ACB).mac == "invalid"
    assert validate(response, world.keystore, acb=ACB).mac == "valid"
    mine = other.from_device("response", GET_RESPONSE, get_response())
    assert validate(mine, world.keystore, acb=ACB).mac == "invalid"
    assert validate(mine, other.keystore, acb=ACB).mac == "valid"


def test_a_wrong_mac_fails_after_the_same_key_pair_verified_another_message(world):
    good, _, tampered, _ = _messages(world)
    assert _outcome(good, world.keystore)["mac"] == "valid"
    bad = _outcome(tampered, world.keystore)
    assert bad["mac"] == "invalid" and bad["status"] == "failed"
    assert any(f["rule"] == "GBCS-M001" for f in bad["findings"])


def test_a_warm_keystore_gives_the_results_of_a_cold_one(world, tmp_path):
    folder = tmp_path / "keys"
    w = make_world(folder)
    messages = _messages(w) * 2
    shared = w.keystore
    warm = [_outcome(m, shared) for m in messages]
    cold = [_outcome(m, Keystore.load([folder])) for m in messages]
    assert warm == cold
    assert [o["mac"] for o in warm[:4]] == ["valid", "valid", "invalid", "valid"]
    assert shared.ecdh_computed < len(messages)              # the agreed secrets were reused


def test_a_keystore_without_the_key_finds_nothing_to_verify(world, tmp_path):
    response = world.from_device("response", GET_RESPONSE, get_response())
    empty = Keystore()
    empty.add_certificate(world.keystore.find(SUPPLIER, "ka")[0].certificate, eui=SUPPLIER, usage="ka")
    v = validate(response, empty, acb=ACB)
    assert v.mac == "no-key" and not v.verified
    assert ESME.hex().upper() in v.unknown_parties


def test_a_message_that_fails_to_decode_is_decoded_once_and_its_envelope_still_checked(world, monkeypatch):
    import gbcs.decoding
    engine = sys.modules["gbcs.validate.engine"]
    data = world.command(ECS52, read_firmware()[:-3])       # a truncated DLMS request, MAC'd
    calls = []
    real = gbcs.decoding.decode

    def counting(data, **kw):
        calls.append(kw.get("payloads", True))
        return real(data, **kw)
    monkeypatch.setattr(gbcs.decoding, "decode", counting)
    monkeypatch.setattr(engine, "decode", counting)
    v = validate(data, world.keystore, acb=ACB)
    assert v.message is None and v.mac == "valid" and v.decryption == "unchecked"
    assert calls == [True, False]          # the full decode once, then the envelope alone
    assert not v.verified                  # its encrypted parts could not even be located
