"""Keys made on the spot and messages built with gbcs's own encoder, for the message-rule tests.

Organisations (supplier, ACB) keep private keys in the keystore; devices have certificates
only there (their private keys live here to sign and MAC responses and alerts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from gbcs import builder
from gbcs.crypto import Keystore, generate_keypair, mac_wrap_with_keys, make_certificate, sign_precommand, write_keystore
from gbcs.payload import dlms, gbz
from gbcs.validate.engine import validate

SUPPLIER = bytes.fromhex("AB00000000010000")
ACB = bytes.fromhex("AB00000000000002")
ESME = bytes.fromhex("AB000000000000E1")
GSME = bytes.fromhex("AB000000000000A1")
STAMP = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)

ECS52 = 0x0059          # non-critical DLMS read (SME.C.NC)
ECS04A = 0x001C         # critical DLMS command (SME.C.C)
GCS01A = 0x006B         # gas use case: GBZ payload
GCS24 = 0x007D
GCS24A = 0x00FC
GENERIC_CRITICAL, GENERIC_NON_CRITICAL = 0x1000, 0x1001


def read_firmware(counter: int = 1000, obis: str = "0-0:0.2.1.255", **kw) -> bytes:
    return dlms.build_access_request([("get", 1, obis, 2)], invoke_id=counter, **kw)


def adjust_balance(counter: int = 1000) -> bytes:
    return dlms.build_access_request([("action", 112, "0-0:19.10.0.255", 1)], [("double_long", 500)],
                                     invoke_id=counter)


def get_response(counter: int = 1000) -> bytes:
    return dlms.build_access_response([b"\x01\x23"], [("get", 0)], invoke_id=counter)


def flow_threshold(*, divisor: int = 10000, unit: int = 0x01, multiplier: int = 1, cluster: int = 0x0702,
                   command: int = 0x0E) -> bytes:
    fields = {"provider_id": 0, "issuer_event_id": 0x30000000, "uncontrolled_flow_threshold": 61680,
              "unit_of_measure": unit, "multiplier": multiplier, "divisor": divisor,
              "stabilisation_period": 5, "measurement_period": 60}
    fc = gbz.build_frame_control(True, False)
    return gbz.build_gbz([gbz.build_component(cluster, command, fields, frame_control=fc)])


@dataclass
class World:
    keys: dict = field(default_factory=dict)
    keystore: Keystore | None = None

    def priv(self, eui, usage):
        return self.keys[(eui, usage)]

    def pub(self, eui, usage):
        return self.keys[(eui, usage)].public_key()

    def command(self, code, content, *, counter=1000, signed=False, mac=True, recipient=ESME, **env) -> bytes:
        apdu = builder.general_signing(builder.Envelope("command", counter, SUPPLIER, recipient, code, **env),
                                       content, signature=None)
        apdu = sign_precommand(apdu, self.priv(SUPPLIER, "ds")) if signed else apdu + b"\x00"
        return mac_wrap_with_keys(apdu, self.priv(ACB, "ka"), self.pub(recipient, "ka")) if mac else apdu

    def precommand(self, code, content, *, counter=1000) -> bytes:
        return builder.precommand(builder.Envelope("command", counter, SUPPLIER, ESME, code), content)

    def from_device(self, cra, code, content, *, counter=1000, signed=False, mac=True, device=ESME, **env) -> bytes:
        apdu = builder.general_signing(builder.Envelope(cra, counter, device, SUPPLIER, code, **env), content,
                                       signature=None)
        apdu = sign_precommand(apdu, self.priv(device, "ds")) if signed else apdu + b"\x00"
        return mac_wrap_with_keys(apdu, self.priv(device, "ka"), self.pub(SUPPLIER, "ka")) if mac else apdu

    def validate(self, data: bytes):
        return validate(data, self.keystore, acb=ACB)


def make_world(folder) -> World:
    w = World()
    layout = {}
    for eui, device in ((SUPPLIER, False), (ACB, False), (ESME, True), (GSME, True)):
        for usage in ("ds", "ka"):
            key = generate_keypair()
            w.keys[(eui, usage)] = key
            cert = make_certificate(key, eui, usage, device=device, role=4 if eui == ACB else 2)
            layout[(eui, usage, False)] = (None if device else key, cert)
    write_keystore(folder, layout)
    w.keystore = Keystore.load([folder])
    return w


def found(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


import pytest  # noqa: E402  (fixtures below; test modules import them by name)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    return make_world(tmp_path_factory.mktemp("rule-keystore"))
