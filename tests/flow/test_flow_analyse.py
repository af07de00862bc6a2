"""The streaming capture analyser: each flow rule broken once and kept once."""
from __future__ import annotations

import pytest

from flow_world import (ESME, ESME2, SUPPLY_OUTAGE_RESTORED, T0, activate_firmware, alert, read_command,
                        read_response)
from gbcs.flow.analyse import Analyser
from gbcs.flow.facts import FlowMessage


def fm(data: bytes, t: float | None, n: int = 0) -> FlowMessage:
    return FlowMessage.from_bytes(data, f"cap.pcap#{n}", None if t is None else T0 + t, n or None)


def analyse(messages, **settings):
    a = Analyser(**settings)
    events = list(a.run(fm(d, t, i) for i, (t, d) in enumerate(messages, 1)))
    return a, events


def rules(events) -> list[str]:
    return [f.rule for e in events for f in e.findings]


def test_paired_flows_have_no_findings():
    a, events = analyse([(0, read_command(1)), (1, read_response(1)), (2, read_command(2)), (3, read_response(2))])
    assert events == []
    [d] = a.summaries()
    assert (d.device, d.commands, d.responses, d.unanswered) == (ESME.hex().upper(), 2, 2, 0)


def test_command_without_response():
    _, events = analyse([(0, read_command(1)), (1, read_command(2)), (2, read_response(2))])
    assert rules(events) == ["GBCS-F001"]
    assert events[0].source == "cap.pcap#1" and "counter 1" in events[0].findings[0].message


def test_command_without_response_within_timeout():
    _, events = analyse([(0, read_command(1)), (100, read_command(2)), (101, read_response(2))],
                        response_timeout=50)
    assert rules(events) == ["GBCS-F001"] and "within 50 s" in events[0].findings[0].message


def test_open_commands_are_bounded():
    a, events = analyse([(i, read_command(i)) for i in range(1, 11)], max_open_commands=3)
    assert rules(events) == ["GBCS-F001"] * 10
    assert "newer commands were open" in events[0].findings[0].message


def test_response_without_command():
    _, events = analyse([(0, read_response(9))])
    assert rules(events) == ["GBCS-F002"]


def test_response_with_other_message_code():
    _, events = analyse([(0, read_command(3)), (1, read_response(3, code=0x001C))])
    assert rules(events) == ["GBCS-F003"]


def test_response_not_swapping_parties():
    _, events = analyse([(0, read_command(3)), (1, read_response(3, device=ESME2))])
    assert rules(events) == ["GBCS-F003", "GBCS-F001"]
    assert "does not swap the parties" in events[0].findings[0].message


def test_counters_going_backwards():
    msgs = [(0, read_command(10)), (1, read_response(10)), (2, read_command(9)), (3, read_response(9)),
            (4, activate_firmware(10)), (5, read_response(10, code=0x0012))]
    _, events = analyse(msgs)
    assert rules(events) == ["GBCS-F004", "GBCS-F004"]     # 9 after 10, then 10 again
    ok = [(0, read_command(10)), (1, read_response(10)), (2, read_command(11)), (3, read_response(11))]
    assert analyse(ok)[1] == []


def test_alert_counters_are_followed_too():
    _, events = analyse([(0, alert(5)), (1, alert(4, code=0x8F36))])
    assert rules(events) == ["GBCS-F004"]


def test_duplicates():
    _, events = analyse([(0, alert(5)), (1, alert(5))])
    assert rules(events) == ["GBCS-F005"]
    _, events = analyse([(0, alert(5)), (5000, alert(5))], duplicate_window=60)   # long after: not remembered
    assert rules(events) == ["GBCS-F004"]


def test_storm_of_500_alerts_in_a_minute():
    storm = [(i * 0.1, alert(100 + i, code=0x8F35 if i % 2 else 0x8F36, at=i * 0.1)) for i in range(500)]
    quiet = [(120 + i * 30, alert(1000 + i, device=ESME, at=120 + i * 30)) for i in range(5)]
    a, events = analyse(storm + quiet)
    assert rules(events) == ["GBCS-F006"]
    [device] = a.summaries()
    [s] = device.storms
    assert s.count == 500 and s.start == T0 and s.end == pytest.approx(T0 + 49.9)
    assert dict(s.codes) == {0x8F35: 250, 0x8F36: 250}
    assert "0x8F35×250" in events[0].findings[0].message


def test_no_storm_below_the_threshold():
    calm = [(i, alert(100 + i, at=i)) for i in range(60)]                   # 60 a minute, threshold 100
    assert analyse(calm)[1] == []
    assert rules(analyse(calm, storm_threshold=30)[1]) == ["GBCS-F006"]


def test_power_outage_alert_after_firmware_activation_is_expected():
    flow = [(0, activate_firmware(1)), (120, alert(50, SUPPLY_OUTAGE_RESTORED, at=120))]
    _, events = analyse(flow)
    assert rules(events) == ["GBCS-F001", "GBCS-F007"] or rules(events) == ["GBCS-F007", "GBCS-F001"]
    [expected] = [f for e in events for f in e.findings if f.rule == "GBCS-F007"]
    assert expected.severity == "info" and "MP102A" in expected.message and "120 s" in expected.message


def test_power_outage_alert_without_activation_or_too_late_is_not_explained():
    assert analyse([(0, alert(50, SUPPLY_OUTAGE_RESTORED))])[1] == []
    late = [(0, activate_firmware(1)), (7200, alert(50, SUPPLY_OUTAGE_RESTORED, at=7200))]
    assert "GBCS-F007" not in rules(analyse(late)[1])
    other_device = [(0, activate_firmware(1, device=ESME2)), (10, alert(50, SUPPLY_OUTAGE_RESTORED, at=10))]
    assert "GBCS-F007" not in rules(analyse(other_device)[1])


def test_expected_alerts_do_not_make_a_storm():
    flow = [(0, activate_firmware(1))] + [(1 + i * 0.05, alert(10 + i, SUPPLY_OUTAGE_RESTORED, at=1 + i * 0.05))
                                          for i in range(200)]
    found = rules(analyse(flow)[1])
    assert "GBCS-F006" not in found and found.count("GBCS-F007") == 200


def test_timeline_memory_is_bounded():
    a, _ = analyse([(i * 3600, alert(i + 1, at=i * 3600)) for i in range(500)], timeline_buckets=20)
    [d] = a.summaries()
    assert len(d.buckets) <= 20 and sum(d.buckets.values()) == 500


def test_messages_without_capture_time_use_the_header_or_order():
    a = Analyser()
    events = [e for d in (read_command(1), read_response(1)) for e in a.feed(FlowMessage.from_bytes(d, "x"))]
    assert events == [] and a.finish() == []


def test_undecodable_input_is_a_finding_not_a_crash():
    _, events = analyse([(0, b"\xdf\x09garbage")])
    assert rules(events) and rules(events)[0].startswith("GBCS-D")


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="unknown analysis setting"):
        Analyser(storm_size=3)


def test_answered_commands_do_not_pile_up_in_the_timeout_queue():
    a = Analyser()
    for i in range(1, 3001):
        a.feed(fm(read_command(i), i))
        a.feed(fm(read_response(i), i + 0.5))
    assert not a.open and len(a.timeouts) <= 1024 + 1


def test_a_response_answering_another_pair_names_the_earliest_open_command():
    other = bytes.fromhex("AB000000000000E3")
    flow = [(0, read_command(7, device=ESME2)), (1, read_command(7, device=other)), (2, read_response(7))]
    _, events = analyse(flow)
    [mismatch] = [f for e in events for f in e.findings if f.rule == "GBCS-F003"]
    assert f"-> {ESME2.hex().upper()} (cap.pcap#1)" in mismatch.message


def test_a_command_older_than_the_clock_times_out_at_the_next_message():
    flow = [(1000, read_command(1)), (0, read_command(2, device=ESME2)), (1001, read_response(1))]
    _, events = analyse(flow, response_timeout=100)
    assert [(e.source, e.findings[0].rule) for e in events] == [("cap.pcap#2", "GBCS-F001")]
    assert events[0].order[0] == 2 and "within 100 s" in events[0].findings[0].message


def test_events_come_out_in_order():
    flow = [(i * 10, read_command(i)) for i in range(1, 30)] + [(400, alert(5)), (401, alert(5)), (402, b"\xdf")]
    _, events = analyse(flow, response_timeout=50)
    assert [e.order for e in events] == sorted(e.order for e in events) and len(events) > 25


def test_duplicates_are_remembered_on_the_capture_clock():
    # the second copy carries an old time, but the capture's clock has moved on past the window
    flow = [(0, alert(5)), (5000, alert(6)), (10, alert(5))]
    _, events = analyse(flow, duplicate_window=60)
    assert "GBCS-F005" not in rules(events)
