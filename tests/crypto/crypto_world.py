"""Keys made on the spot and messages protected with them: no file from outside the project.

The world mirrors how real keystores look: organisations (supplier, ACB) with private keys,
devices with certificates only (their private keys exist here, to build responses and
alerts, but are not written to the keystore).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cryptography.hazmat.primitives.asymmetric import ec

from gbcs import builder
from gbcs.crypto import (Keystore, generate_keypair, make_certificate, mac_wrap_with_keys, sign_precommand,
                         write_keystore)

SUPPLIER = bytes.fromhex("90B3D51F30010000")
ACB = bytes.fromhex("90B3D51F30000002")
DEVICE = bytes.fromhex("00DB1234567890A0")
DEVICE2 = bytes.fromhex("00DB1234567890A1")
# A DLMS get request (class 1, OBIS 0-0:0.2.1.255, attribute 2): content bytes only.
DLMS_GET = bytes.fromhex("D9 20 00 00 01 00 01 01 00 01 00 00 00 02 01 FF 02 01 00")
ASN1_NULL = bytes.fromhex("0500")
READ_FIRMWARE = 0x0129           # CS08 message code: ASN.1 NULL content decodes without DLMS/GBZ


@dataclass
class World:
    keys: dict = field(default_factory=dict)        # (eui, usage, pp) -> private key
    keystore: Keystore | None = None
    folder: object = None

    def priv(self, eui: bytes, usage: str, pp: bool = False) -> ec.EllipticCurvePrivateKey:
        return self.keys[(eui, usage, pp)]

    def pub(self, eui: bytes, usage: str) -> ec.EllipticCurvePublicKey:
        return self.keys[(eui, usage, False)].public_key()

    # -- messages -------------------------------------------------------------------------
    def command(self, content: bytes = DLMS_GET, *, counter: int = 1000, signed: bool = False,
                code: int = 0x0059, originator: bytes = SUPPLIER, recipient: bytes = DEVICE) -> bytes:
        env = builder.Envelope("command", counter, originator, recipient, code)
        apdu = builder.general_signing(env, content, signature=None)
        apdu = sign_precommand(apdu, self.priv(originator, "ds")) if signed else apdu + b"\x00"
        return mac_wrap_with_keys(apdu, self.priv(ACB, "ka"), self.pub(recipient, "ka"))

    def precommand(self, content: bytes = DLMS_GET, *, counter: int = 1000, code: int = 0x0059) -> bytes:
        env = builder.Envelope("command", counter, SUPPLIER, DEVICE, code)
        return builder.precommand(env, content)

    def response(self, content: bytes = DLMS_GET, *, counter: int = 1000, code: int = 0x0059,
                 recipient: bytes = SUPPLIER, **extra) -> bytes:
        env = builder.Envelope("response", counter, DEVICE, recipient, code, **extra)
        apdu = builder.general_signing(env, content, signature=b"")
        return mac_wrap_with_keys(apdu, self.priv(DEVICE, "ka"), self.pub(recipient, "ka"))

    def alert(self, content: bytes = ASN1_NULL, *, counter: int = 7, code: int = READ_FIRMWARE) -> bytes:
        env = builder.Envelope("alert", counter, DEVICE, ACB, code)
        apdu = builder.general_signing(env, content, signature=b"")
        return mac_wrap_with_keys(apdu, self.priv(DEVICE, "ka"), self.pub(ACB, "ka"))

    def signed_response(self, content: bytes = ASN1_NULL, *, counter: int = 1000,
                        code: int = READ_FIRMWARE) -> bytes:
        env = builder.Envelope("response", counter, DEVICE, SUPPLIER, code)
        return sign_precommand(builder.general_signing(env, content, signature=None), self.priv(DEVICE, "ds"))


def make_world(folder) -> World:
    w = World(folder=folder)
    layout = {}
    for eui, usage, pp, device in ((SUPPLIER, "ds", False, False), (SUPPLIER, "ka", False, False),
                                   (SUPPLIER, "ka", True, False), (ACB, "ds", False, False),
                                   (ACB, "ka", False, False), (DEVICE, "ds", False, True),
                                   (DEVICE, "ka", False, True), (DEVICE2, "ds", False, True),
                                   (DEVICE2, "ka", False, True)):
        key = generate_keypair()
        w.keys[(eui, usage, pp)] = key
        cert = make_certificate(key, eui, usage, device=device, role=4 if eui == ACB else 2)
        layout[(eui, usage, pp)] = (None if device else key, cert)   # devices: certificate only
    write_keystore(folder, layout)
    w.keystore = Keystore.load([folder])
    return w


# Fixtures: test modules import them by name (no conftest here: basenames must stay unique).
@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    return make_world(tmp_path_factory.mktemp("keystore"))


@pytest.fixture()
def fresh_world(tmp_path) -> World:
    return make_world(tmp_path / "keystore")
