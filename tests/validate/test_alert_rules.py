"""Alert rules (GBCS-A…)."""
from __future__ import annotations

from gbcs.payload import dlms, gbz

from rule_world import GENERIC_CRITICAL, GENERIC_NON_CRITICAL, GSME, STAMP, found, world  # noqa: F401


def gbz_alert(world, alert_code, message_code=GENERIC_NON_CRITICAL):
    return world.from_device("alert", message_code, gbz.build_gbz_alert(alert_code, STAMP), device=GSME)


def test_unassigned_alert_code_is_an_alert_error(world):
    r = world.validate(gbz_alert(world, 0x8001))
    [f] = found(r, "GBCS-A101")
    assert f.topic == "alert" and f.severity == "error" and "0x8001" in f.message and not r.ok
    assert world.validate(gbz_alert(world, 0x810E)).ok


def test_alert_in_a_payload_family_it_does_not_use(world):
    # 8F12 (CHF device log changed) travels in DLMS only
    [f] = found(world.validate(gbz_alert(world, 0x8F12, 0x0018)), "GBCS-A102")
    assert f.severity == "warning" and "DLMS" in f.message
    assert not found(world.validate(gbz_alert(world, 0x810E)), "GBCS-A102")


def test_alert_with_a_message_code_that_does_not_carry_it(world):
    content = dlms.build_alert(0x8F30, STAMP, invoke_id=1000)
    wrong = world.from_device("alert", GENERIC_NON_CRITICAL, content)
    [f] = found(world.validate(wrong), "GBCS-A103")
    assert f.severity == "warning" and "0x1000" in f.message
    right = world.from_device("alert", GENERIC_CRITICAL, content, signed=True, mac=False)
    assert not found(world.validate(right), "GBCS-A103") and world.validate(right).ok
