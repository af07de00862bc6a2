"""The compiled decode path and its pure-Python twin (the same .py files) agree exactly: same
trees, same errors, same integrity and decryption results, on valid and mutated messages.

The twin runs in a second process started with GBCS_PURE_PYTHON=1 (a module cannot be
loaded both ways in one process); each input is sent to it and the answers compared.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gbcs import backend
from gbcs.builder import Envelope, general_signing
from gbcs.crypto import (Keystore, encrypt_payload_part, generate_keypair, make_certificate,
                         mac_wrap_with_keystore, payload_encryption_key, write_keystore)
from gbcs.payload import gbz
from support import twin_outcome
from test_properties import messages

pytestmark = pytest.mark.skipif(
    not backend.compiled_modules(),
    reason="no compiled twin is loaded (pure-Python run, or not built: pip install -e .)")

SUPPLIER = bytes.fromhex("AB00000000010000")
ACB = bytes.fromhex("AB00000000000002")
GSME = bytes.fromhex("AB000000000000A1")


class Twin:
    def __init__(self):
        env = dict(os.environ, GBCS_PURE_PYTHON="1",
                   PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from support import twin_server; twin_server()"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def outcome(self, data: bytes, folder: Path | None = None) -> list:
        self.process.stdin.write(f"{folder or '-'}\t{data.hex()}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the pure-Python twin process stopped"
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def twin():
    t = Twin()
    assert json.loads(subprocess.run(
        [sys.executable, "-c", "import gbcs, gbcs.backend, json; print(json.dumps(gbcs.backend.compiled_modules()))"],
        env=dict(os.environ, GBCS_PURE_PYTHON="1"), capture_output=True, text=True, check=True).stdout) == []
    yield t
    t.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A keystore (supplier + ACB private keys, the GSME's certificates) and encrypted GSME responses."""
    folder = tmp_path_factory.mktemp("twin-keys")
    keys = {(eui, usage, False): None for eui in (SUPPLIER, ACB, GSME) for usage in ("ds", "ka")}
    for eui, usage, _ in keys:
        k = generate_keypair()
        keys[(eui, usage, False)] = (k, make_certificate(k, eui, usage, device=eui == GSME, role=2))
    write_keystore(folder, {k: v for k, v in keys.items() if k[0] != GSME})
    write_keystore(folder, {k: v for k, v in keys.items() if k[0] == GSME}, with_private=False)
    ks = Keystore.load([str(folder)])
    encrypted = []
    for counter, credit in ((0x1002, 2_500_000), (0x1003, 7), (0x1004, 0)):
        env = Envelope("response", counter, GSME, SUPPLIER, 0x0075)
        plain = gbz.build_read_attributes_response([(0x0005, 0, 0x2B, credit)])
        k = payload_encryption_key(keys[(SUPPLIER, "ka", False)][0], ks.find(GSME, "ka")[0].public_key,
                                   originator=GSME, counter=counter, recipient=SUPPLIER)
        part = encrypt_payload_part(k, GSME, plain)
        content = gbz.build_gbz([gbz.build_encrypted_component(
            0x0705, 0x01, part[5:-12], part[-12:], frame_control=gbz.build_frame_control(False, True), sequence=1)])
        encrypted.append(mac_wrap_with_keystore(general_signing(env, content, b""), ks))
    return {"folder": folder, "keystore": ks, "encrypted": encrypted}


def same(twin, data: bytes, folder=None, keystore=None) -> None:
    here = json.loads(json.dumps(twin_outcome(data, keystore)))
    assert here == twin.outcome(data, folder)


@st.composite
def mutated(draw, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["flip", "set", "cut", "grow"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(messages().flatmap(mutated))
def test_same_tree_or_same_error(twin, data):
    same(twin, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2), st.data())
def test_same_decryption(twin, world, which, draw):
    base = world["encrypted"][which]
    data = draw.draw(mutated(base)) if draw.draw(st.booleans()) else base
    same(twin, data, world["folder"], world["keystore"])


def test_the_encrypted_examples_really_decrypt(world):
    outcome = twin_outcome(world["encrypted"][0], world["keystore"])
    assert outcome[0] == "ok" and outcome[-1][1] and outcome[-1][1][0][0] == "valid"


def test_same_on_the_corpus(twin, rtds):
    for path, data in rtds:
        here = json.loads(json.dumps(twin_outcome(data)))
        assert here == twin.outcome(data), path.name


@pytest.mark.parametrize("module, cls, attribute", [("gbcs.payload.dlms", "_Type", "kind"),
                                                     ("gbcs.payload.asn1", "_Tlv", "start")])
def test_the_payload_twins_are_typed(module, cls, attribute):
    """The .pxd beside the .py reached the build: its classes are C types with typed fields
    (a plain class with __slots__ has member descriptors instead)."""
    if module not in backend.compiled_modules():
        pytest.skip(f"{module} is not compiled here")
    import importlib
    field = vars(getattr(importlib.import_module(module), cls))[attribute]
    assert type(field).__name__ == "getset_descriptor"


# -- the typed payload decoders (dlms.pxd, asn1.pxd): every Data type, shape and DER type the
# tables describe, valid and mutated, through both twins.

@st.composite
def payload_messages(draw, family: str) -> bytes:
    """A whole message whose content is a `family` payload built from the tables for its code."""
    from gbcs.testing import payloads, tables
    codes = [c for c in tables.all_codes() if family in tables.code_facts(c).families]
    code = draw(st.sampled_from(codes))
    kind = draw(st.sampled_from(tables.code_facts(code).kinds))
    content = draw(payloads(family, kind, message_code=code))
    env = Envelope(kind, draw(st.integers(0, 2**64 - 1)), SUPPLIER, GSME, code)
    return general_signing(env, content, b"")


@st.composite
def data_values(draw) -> bytes:
    """A Data-Notification around any DLMS Data value (all types, compact arrays included)."""
    from gbcs.payload.dlms import build_data_notification
    from gbcs.testing.values import dlms_data
    env = Envelope("alert", draw(st.integers(0, 2**64 - 1)), GSME, SUPPLIER, 0x1001)
    return general_signing(env, build_data_notification(draw(dlms_data())), b"")


def _sometimes_mutated(strategy):
    from gbcs.testing import mutated as hostile
    return st.one_of(strategy, hostile(strategy))


@pytest.mark.parametrize("family", ["dlms", "asn1"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_same_payload_trees(twin, family, draw):
    same(twin, draw.draw(_sometimes_mutated(payload_messages(family))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_same_dlms_data(twin, draw):
    same(twin, draw.draw(_sometimes_mutated(data_values())))
