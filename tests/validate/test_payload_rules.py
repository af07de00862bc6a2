"""Payload rules (GBCS-P…)."""
from __future__ import annotations

from gbcs.payload import gbz

from rule_world import (ECS52, GCS01A, GCS24A, GSME, found, flow_threshold, get_response,  # noqa: F401
                        read_firmware, world)


def test_gas_use_case_code_over_a_dlms_payload_is_a_payload_error(world):
    r = world.validate(world.command(GCS01A, read_firmware(), signed=True, recipient=GSME))
    [f] = found(r, "GBCS-P101")
    assert f.topic == "payload" and f.severity == "error" and "GBZ" in f.message and not r.ok
    assert not found(world.validate(world.command(ECS52, read_firmware())), "GBCS-P101")


def test_dlms_apdu_must_fit_the_kind(world):
    [f] = found(world.validate(world.command(ECS52, get_response())), "GBCS-P102")
    assert "access-request" in f.message
    assert not found(world.validate(world.from_device("response", ECS52, get_response())), "GBCS-P102")


def test_dlms_target_outside_the_known_shapes_is_a_warning(world):
    [f] = found(world.validate(world.command(ECS52, read_firmware(obis="0-0:96.1.0.255"))), "GBCS-P103")
    assert f.severity == "warning" and "0-0:96.1.0.255" in f.message
    assert not found(world.validate(world.command(ECS52, read_firmware())), "GBCS-P103")


def test_gbz_command_outside_the_known_shapes_is_a_warning(world):
    # a Read Attributes of the Metering cluster where GCS24a sets the flow threshold
    fc = gbz.build_frame_control(False, False)
    other = gbz.build_gbz([gbz.build_component(0x0702, 0x00, gbz.build_read_attributes([0x0B10]), frame_control=fc)])
    [f] = found(world.validate(world.command(GCS24A, other, signed=True, recipient=GSME)), "GBCS-P104")
    assert f.severity == "warning" and "0x0702" in f.message
    assert not found(world.validate(world.command(GCS24A, flow_threshold(), signed=True, recipient=GSME)),
                     "GBCS-P104")


def test_non_minimal_der_length_in_the_payload_is_a_warning(world):
    from gbcs.payload import asn1
    unjoin = asn1.build_unjoin_command(bytes.fromhex("0102030405060708"))
    assert unjoin[:2] == b"\x04\x08"                # OCTET STRING of the entity id
    long_form = b"\x04\x81" + unjoin[1:]
    [f] = found(world.validate(world.command(0x0010, long_form)), "GBCS-P105")
    assert f.severity == "warning" and f.field.startswith("payload.") and "DER needs 1" in f.message
    assert not found(world.validate(world.command(0x0010, long_form)), "GBCS-E113")
    assert not found(world.validate(world.command(0x0010, unjoin)), "GBCS-P105")
