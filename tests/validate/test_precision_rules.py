"""Precision rules (GBCS-N…)."""
from __future__ import annotations

from rule_world import GCS24, GCS24A, GSME, flow_threshold, found, world  # noqa: F401


def gas_flow(world, code=GCS24A, **kw):
    return world.validate(world.command(code, flow_threshold(**kw), signed=True, recipient=GSME))


def test_gcs24a_flow_rate_with_divisor_1000_is_a_precision_error(world):
    r = gas_flow(world, divisor=1000)
    [f] = found(r, "GBCS-N101")
    assert f.topic == "precision" and f.severity == "error" and "10000" in f.message and not r.ok
    assert gas_flow(world).ok


def test_gcs24_carries_a_whole_number(world):
    assert found(gas_flow(world, GCS24, divisor=10000), "GBCS-N101")
    assert not found(gas_flow(world, GCS24, divisor=1), "GBCS-N101")


def test_flow_rate_unit(world):
    [f] = found(gas_flow(world, unit=0x00), "GBCS-N102")
    assert "m³" in f.message
    assert not found(gas_flow(world), "GBCS-N102")


def test_zero_divisor(world):
    [f] = found(gas_flow(world, divisor=0), "GBCS-N103")
    assert f.severity == "error" and f.field.endswith("divisor")
    assert not found(gas_flow(world), "GBCS-N103")


def test_unknown_unit(world):
    assert found(gas_flow(world, unit=0x0F), "GBCS-N104")
    assert not found(gas_flow(world, unit=0x81), "GBCS-N104")      # BCD m³


def test_decoded_tree_shows_the_scaled_flow_rate(world):
    import gbcs
    data = world.command(GCS24A, flow_threshold(), signed=True, recipient=GSME)
    message = gbcs.decode(data)
    [node] = [n for _, n in message.root.walk() if n.name == "uncontrolled_flow_threshold"]
    assert node.meaning == "61680 / 10000 = 6.1680 m³/h"
    assert gbcs.encode(message) == data
