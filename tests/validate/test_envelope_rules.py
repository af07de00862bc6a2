"""Envelope rules (GBCS-E…), each with a message that breaks it and one that does not."""
from __future__ import annotations

from gbcs import builder
from gbcs.payload import dlms

from rule_world import (ECS04A, ECS52, ESME, GENERIC_NON_CRITICAL, STAMP, SUPPLIER, adjust_balance, found,  # noqa: F401
                        get_response, read_firmware, world)
from gbcs.payload import gbz


def test_unknown_message_code_is_an_envelope_error(world):
    r = world.validate(world.command(0xFFFF, read_firmware()))
    [f] = found(r, "GBCS-E101")
    assert f.topic == "envelope" and f.severity == "error" and "0xFFFF" in f.message and not r.ok
    assert f.offset == 13 + 30 + 1          # MAC header, grouping header up to other-information length
    assert not found(world.validate(world.command(ECS52, read_firmware())), "GBCS-E101")


def test_alert_whose_cra_flag_says_response_is_an_envelope_error(world):
    alert = gbz.build_gbz_alert(0x810E, STAMP)
    bad = world.validate(world.from_device("response", GENERIC_NON_CRITICAL, alert))
    [f] = found(bad, "GBCS-E102")
    assert f.topic == "envelope" and f.severity == "error" and "alert" in f.message
    assert not found(world.validate(world.from_device("alert", GENERIC_NON_CRITICAL, alert)), "GBCS-E102")


def test_critical_command_with_its_signature_removed(world):
    signed = world.command(ECS04A, adjust_balance(), signed=True)
    assert world.validate(signed).ok
    stripped = world.command(ECS04A, adjust_balance(), signed=False)      # same command, signature 00
    r = world.validate(stripped)
    [f] = found(r, "GBCS-E103")
    assert f.topic == "envelope" and f.severity == "error" and not r.ok


def test_maced_response_stripped_of_its_mac_wrapper(world):
    maced = world.from_device("response", ECS52, get_response())
    assert world.validate(maced).ok
    inner = maced[13:-12]                   # the bare grouping-header message that was inside
    assert inner[0] == 0xDF
    r = world.validate(inner)
    [f] = found(r, "GBCS-E104")
    assert f.topic == "envelope" and f.severity == "error" and not r.ok and r.mac == "absent"


def test_unknown_code_without_any_protection(world):
    bare = world.from_device("response", 0xFFFF, get_response(), mac=False)
    assert found(world.validate(bare), "GBCS-E105")
    assert not found(world.validate(world.from_device("response", 0xFFFF, get_response())), "GBCS-E105")


def test_signed_non_critical_command_is_a_warning(world):
    [f] = found(world.validate(world.command(ECS52, read_firmware(), signed=True)), "GBCS-E106")
    assert f.severity == "warning"
    assert not found(world.validate(world.command(ECS52, read_firmware())), "GBCS-E106")


def test_precommand_only_for_critical_use_cases(world):
    [f] = found(world.validate(world.precommand(ECS52, read_firmware())), "GBCS-E107")
    assert f.severity == "error"
    assert world.validate(world.precommand(ECS04A, adjust_balance())).ok


def test_supplementary_remote_party_repeating_the_originator(world):
    same = world.command(ECS52, read_firmware(), srp_id=SUPPLIER, srp_counter=5)
    assert found(world.validate(same), "GBCS-E108")
    other = world.command(ECS52, read_firmware(), srp_id=bytes.fromhex("AB00000000030000"), srp_counter=5)
    assert not found(world.validate(other), "GBCS-E108")


DATE_TIME = bytes.fromhex("07EA0B01FF091E0000800000")


def test_grouping_header_date_time_only_in_responses(world):
    [f] = found(world.validate(world.command(ECS52, read_firmware(), date_time=DATE_TIME)), "GBCS-E109")
    assert f.severity == "warning" and "2026-11-01" in f.message
    assert not found(world.validate(world.from_device("response", ECS52, get_response(), date_time=DATE_TIME)),
                     "GBCS-E109")


def test_execution_date_time_only_where_the_device_future_dates(world):
    dated = read_firmware(date_time=DATE_TIME)
    [f] = found(world.validate(world.command(ECS52, dated)), "GBCS-E110")
    assert f.severity == "warning" and "ECS52" in f.message
    assert not found(world.validate(world.command(ECS52, read_firmware())), "GBCS-E110")


def test_counter_zero_and_invoke_id(world):
    zero = world.validate(world.command(ECS52, read_firmware(counter=0), counter=0))
    assert found(zero, "GBCS-E111") and not found(zero, "GBCS-E112")
    mismatch = world.validate(world.command(ECS52, read_firmware(counter=7), counter=1000))
    [f] = found(mismatch, "GBCS-E112")
    assert "7" in f.message and not found(mismatch, "GBCS-E111")


def test_non_minimal_length_is_a_warning(world):
    pre = world.precommand(ECS04A, adjust_balance())
    assert pre[30] == 2                        # other-information length, short form
    long_form = pre[:30] + b"\x81" + pre[30:]   # the same length as 81 02
    [f] = found(world.validate(long_form), "GBCS-E113")
    assert f.severity == "warning" and f.offset == 30
    assert not found(world.validate(pre), "GBCS-E113")
