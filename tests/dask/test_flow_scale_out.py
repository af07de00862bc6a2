"""Capture analysis split by device on a local Dask cluster gives exactly the events of one process."""
from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

from flow_world import (ESME, ESME2, SUPPLIER, SUPPLY_OUTAGE_RESTORED, activate_firmware, alert,  # noqa: E402
                        pcap_udp, pcap_user, read_command, read_response, write)
from gbcs.dask.flows import InProcess, analyse, batches, groups_of  # noqa: E402
from gbcs.flow.analyse import Analyser  # noqa: E402
from gbcs.flow.stream import flow_messages  # noqa: E402

DEVICES = [ESME, ESME2] + [bytes.fromhex(f"AB000000000000E{n}") for n in range(3, 7)]
OTHER_SUPPLIER = bytes.fromhex("AB00000000020000")
SETTINGS = {"response_timeout": 600, "storm_window": 60, "storm_threshold": 20, "duplicate_window": 900}


def busy_frames(seed: int) -> list[tuple[float, bytes]]:
    """(capture time, message) of a capture breaking every analysis rule, over several devices,
    with the cross-device cases: responses swapped in from another device, a party that both
    sends commands to and alerts another, timestamps going back."""
    rnd = random.Random(seed)
    frames: list[tuple[float, bytes]] = []
    t = 0.0
    counter = 1000
    alert_counters = {d: 10 for d in DEVICES}

    def at(dt: float, data: bytes) -> None:
        nonlocal t
        t += dt
        frames.append((t, data))

    for step in range(220):
        device = rnd.choice(DEVICES)
        counter += 1
        command = read_command(counter, device=device)
        at(rnd.uniform(0.5, 20), command)
        roll = rnd.random()
        if roll < 0.55:
            at(rnd.uniform(0.1, 5), read_response(counter, device=device))
        elif roll < 0.62:                           # answered from another device: F003 across devices
            at(1, read_response(counter, device=rnd.choice([d for d in DEVICES if d != device])))
        elif roll < 0.67:
            at(1, read_response(counter, device=device, code=0x001C))      # another message code: F003
        elif roll < 0.72:
            at(1, read_response(counter + 500_000, device=device))          # no such command: F002
        elif roll < 0.77:
            at(0.2, command)                                                 # duplicate: F005
            at(1, read_response(counter, device=device))
        elif roll < 0.80:
            at(700, read_response(counter, device=device))                  # too late: timed out first
        # else: never answered (times out, or open at the end)
        if step % 17 == 0:
            at(1, read_command(counter - 3, device=device))                   # counter going back: F004
        if step % 9 == 0:
            d = rnd.choice(DEVICES)
            alert_counters[d] = max(1, alert_counters[d] + rnd.choice([1, 1, 1, -2]))     # sometimes back: F004
            at(2, alert(alert_counters[d], code=0x8F36, device=d, at=t + 2))
        if step % 31 == 0:
            at(1, b"\xdf\x09garbage")                                          # does not decode
        if step % 40 == 5:                                                     # other supplier, same counters
            at(1, read_command(counter, device=device, requester=OTHER_SUPPLIER))
            at(1, read_response(counter - 1, device=device, requester=OTHER_SUPPLIER))
        if step == 60:                                                         # storm that ends
            for i in range(35):
                alert_counters[ESME2] += 1
                at(0.5, alert(alert_counters[ESME2], code=0x8F35 + i % 2, device=ESME2, at=t))
        if step == 100:                                                        # firmware, then expected alert
            counter += 1
            at(1, activate_firmware(counter, device=DEVICES[3]))
            alert_counters[DEVICES[3]] += 1
            at(30, alert(alert_counters[DEVICES[3]], SUPPLY_OUTAGE_RESTORED, device=DEVICES[3], at=t + 30))
        if step == 120:                                                        # an old frame: clock goes back
            counter += 1
            at(-3000, read_command(counter, device=device))
            at(3000, read_response(counter + 7, device=device))
        if step == 150:          # ESME sends commands to the supplier and alerts it: one counter, two devices
            at(1, alert(900, device=ESME))
            at(1, read_command(899, device=SUPPLIER, requester=ESME))
            at(1, read_command(905, device=SUPPLIER, requester=ESME))
            at(1, alert(903, device=ESME))
    for i in range(30):                                                        # storm still going at the end
        alert_counters[DEVICES[5]] += 1
        at(0.3, alert(alert_counters[DEVICES[5]], device=DEVICES[5], at=t))
    return frames


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    """The busy capture over three pcap files (capture order is file order) and a hex file."""
    root = tmp_path_factory.mktemp("busy")
    frames = busy_frames(13)
    third = len(frames) // 3
    for n, part in enumerate((frames[:third], frames[third:2 * third], frames[2 * third:])):
        write(root, f"part{n}.pcap", pcap_user(part))
    write(root, "zz-lines.txt", "\n".join(d.hex() for _, d in frames[:40:3]) + "\n")
    return root


@pytest.fixture(scope="module")
def client():
    """Real worker processes: events, facts and findings cross process boundaries as in a cluster."""
    import gbcs.dask
    with gbcs.dask.connect("local:2") as c:
        yield c


@pytest.fixture(scope="module")
def single(capture):
    a = Analyser(**SETTINGS)
    events = list(a.run(flow_messages([str(capture)], payloads="alerts")))
    return a, events


def assert_same(single, analysis) -> None:
    a, events = single
    assert len(analysis.events) == len(events)
    for e, g in zip(events, analysis.events):
        expected, got = e.to_dict(), g.to_dict()
        for key in expected:                       # field by field: rule, message, offset, field, source …
            assert got[key] == expected[key], (expected["source"], key)
    assert [s.to_dict() for s in analysis.summaries] == [s.to_dict() for s in a.summaries()]
    assert analysis.count == a.count
    assert analysis.rule_counts == a.rule_counts


def test_the_busy_capture_breaks_every_analysis_rule(single):
    a, events = single
    found = [f for e in events for f in e.findings]
    rules = {f.rule for f in found}
    assert {f"GBCS-F00{n}" for n in range(1, 8)} <= rules
    assert any(r.startswith("GBCS-D") for r in rules)
    texts = [f.message for f in found]
    assert any("does not swap the parties" in m for m in texts)           # F003 from another device
    assert any("has message code" in m for m in texts)                    # F003 from the same pair
    assert any("within 600 s" in m for m in texts) and any("end of the input" in m for m in texts)
    assert sum(f.rule == "GBCS-F006" for f in found) == 2
    assert len(a.devices) >= 7


@pytest.mark.parametrize("per_partition, buckets", [(25, 3), (1000, 1), (9, 7)])
def test_cluster_analysis_equals_one_process(capture, client, single, per_partition, buckets):
    got = analyse([str(capture)], client=client, per_partition=per_partition, buckets=buckets, **SETTINGS)
    assert got.buckets == buckets
    assert_same(single, got)


@pytest.mark.parametrize("seed", range(6))
def test_split_analysis_equals_one_process_on_random_captures(seed, tmp_path):
    """The same steps run in this process: random cuts, bucket counts, settings and times."""
    rnd = random.Random(seed)
    frames = [(t - rnd.choice([0, 0, 0, rnd.uniform(0, 2000)]), d) for t, d in busy_frames(100 + seed)]
    cuts = sorted(rnd.sample(range(1, len(frames)), rnd.randint(0, 3)))
    for n, (a, b) in enumerate(zip([0] + cuts, cuts + [len(frames)])):
        write(tmp_path, f"p{n}.pcap", pcap_user(frames[a:b]))
    settings = {"response_timeout": rnd.choice([30, 600, 5000]), "storm_window": rnd.choice([10, 60]),
                "storm_threshold": rnd.choice([5, 20]), "duplicate_window": rnd.choice([5, 900])}
    a = Analyser(**settings)
    events = list(a.run(flow_messages([str(tmp_path)], payloads="alerts")))
    got = analyse([str(tmp_path)], client=InProcess(), per_partition=rnd.choice([3, 25, 10_000]),
                  buckets=rnd.randint(1, 9), **settings)
    assert_same((a, events), got)


def test_udp_captures_are_read_with_their_ports(tmp_path):
    from gbcs.io.captures import CaptureOptions
    frames = busy_frames(3)[:150]
    write(tmp_path, "a.pcap", pcap_udp(frames[:70], port=5000))
    write(tmp_path, "b.pcap", pcap_udp(frames[70:], port=5000))
    options = CaptureOptions(frozenset({5000}))
    a = Analyser(**SETTINGS)
    events = list(a.run(flow_messages([str(tmp_path)], capture=options, payloads="alerts")))
    got = analyse([str(tmp_path)], client=InProcess(), capture=options, per_partition=20, buckets=3, **SETTINGS)
    assert a.count == 150 and events
    assert_same((a, events), got)
    assert analyse([str(tmp_path)], client=InProcess(), **SETTINGS).count < 150     # without the port: not GBCS


def test_a_worker_killed_between_steps_loses_and_duplicates_nothing(capture, client, single, monkeypatch):
    import os
    from gbcs.flow.analyse import CaptureClock
    build = CaptureClock.of
    killed = []

    def kill_then_build(parts, timeout):       # runs on the client once every partition is scanned
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        os.kill(victim, 9)                     # half the scans are lost with it, and must be redone
        killed.append(victim)
        return build(parts, timeout)

    monkeypatch.setattr(CaptureClock, "of", kill_then_build)
    got = analyse([str(capture)], client=client, per_partition=20, buckets=4, **SETTINGS)
    assert killed
    assert_same(single, got)
    client.wait_for_workers(2, timeout=60)


def test_a_bag_of_messages_is_one_capture(client):
    import dask.bag as db
    from gbcs.flow.stream import flow_messages_of
    from gbcs.io.inputs import InputMessage
    items = [(f"m{i}", d) for i, (_, d) in enumerate(busy_frames(5)[:300])]
    a = Analyser()
    events = list(a.run(flow_messages_of([InputMessage(s, d, "binary") for s, d in items], "alerts")))
    got = analyse(db.from_sequence(items, npartitions=4), client=client, buckets=3)
    assert_same((a, events), got)
    assert any(f.rule == "GBCS-F003" for e in events for f in e.findings)


def test_parties_linked_both_ways_are_one_group():
    groups = groups_of([("B", "A"), ("C", "D"), ("D", "B")])
    assert set(groups.values()) == {"A"} and set(groups) == {"A", "B", "C", "D"}
    assert groups_of([]) == {}


def test_small_files_are_scanned_together():
    from gbcs.dask.plan import Partition
    parts = [Partition(f"f{i}", 0, n) for i, n in enumerate([3, 3, 3, 10, 1, 1])]
    assert [len(b) for b in batches(parts, 6)] == [2, 1, 1, 2]
    assert [p for b in batches(parts, 6) for p in b] == parts


def test_unknown_setting_is_refused(client):
    with pytest.raises(ValueError, match="unknown analysis setting"):
        analyse(["x"], client=client, storm_size=3)


def run_cli(*args):
    from click.testing import CliRunner
    from gbcs.cli import main
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def cli_args(capture) -> list[str]:
    return ["capture", "analyse", "--response-timeout", "600", "--storm-window", "60", "--storm-threshold", "20",
            str(capture)]


def test_cli_scheduler_local_2_gives_the_single_process_records(capture):
    single = run_cli(*cli_args(capture), "--format", "jsonl")
    clustered = run_cli(*cli_args(capture), "--format", "jsonl", "--scheduler", "local:2")
    assert clustered.exit_code == single.exit_code == 1
    assert clustered.stdout == single.stdout
    assert sum(json.loads(line)["record"] == "flow" for line in single.stdout.splitlines()) > 50


def test_cli_parquet_with_and_without_dask(capture, client, single, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq
    from gbcs.io.parquet import FLOW_FINDING_COLUMNS, FLOW_MESSAGE_COLUMNS
    address = client.scheduler.address
    alone = run_cli(*cli_args(capture), "--format", "parquet", "-o", str(tmp_path / "one"))
    spread = run_cli(*cli_args(capture), "--format", "parquet", "-o", str(tmp_path / "many"), "--scheduler", address)
    assert alone.exit_code == spread.exit_code == 1
    assert alone.stdout.splitlines()[1:] == spread.stdout.splitlines()[1:]
    a, events = single
    for name in ("one", "many"):
        messages = pq.read_table(tmp_path / name / "messages")
        assert [f.name for f in messages.schema] == [c[0] for c in FLOW_MESSAGE_COLUMNS]
        assert str(messages.schema.field("time").type) == "timestamp[us, tz=UTC]"
        assert str(messages.schema.field("originator_counter").type) == "uint64"
        assert messages.num_rows == a.count
        findings = pd.read_parquet(tmp_path / name / "findings")
        assert list(findings.columns) == [c[0] for c in FLOW_FINDING_COLUMNS]
        assert list(findings["rule"]) == [f.rule for e in events for f in e.findings]
        assert list(findings["message"]) == [f.message for e in events for f in e.findings]
    one = pd.read_parquet(tmp_path / "one" / "messages")
    many = pd.read_parquet(tmp_path / "many" / "messages")
    pd.testing.assert_frame_equal(one, many)
    assert (~one["decoded"]).sum() > 0 and one["alert_code"].notna().sum() > 50


def test_workers_write_a_messages_part_per_partition(capture, client, single, tmp_path):
    import pyarrow.parquet as pq
    got = analyse([str(capture)], client=client, per_partition=30, messages_out=str(tmp_path / "messages"),
                  **SETTINGS)
    assert_same(single, got)
    parts = sorted((tmp_path / "messages").glob("part-*.parquet"))
    assert len(parts) > 5
    table = pq.read_table(tmp_path / "messages")
    assert table.column("source").to_pylist() == [fm.source for fm in flow_messages([str(capture)])]


def test_cli_reports_are_the_same_on_a_cluster(capture, client, tmp_path):
    address = client.scheduler.address
    for report in ("json", "html"):
        one, many = tmp_path / f"one.{report}", tmp_path / f"many.{report}"
        run_cli(*cli_args(capture), "--report", report, "-o", str(one))
        run_cli(*cli_args(capture), "--report", report, "-o", str(many), "--scheduler", address)
        if report == "json":
            assert json.loads(one.read_text()) == json.loads(many.read_text()) != []
        else:          # the page shows each message's tree and hex: the bytes travelled back
            def page(path):
                return re.sub(r'<p class="generated">.*?</p>', "", path.read_text())
            assert page(one) == page(many) and "pcap#" in page(one)


def test_cli_parquet_usage(capture, tmp_path):
    assert run_cli("capture", "analyse", "--format", "parquet", str(capture)).exit_code == 2
    out = str(tmp_path / "pq")
    assert run_cli("capture", "analyse", "--format", "parquet", "-o", out, "--report", "html", str(capture)).exit_code == 2
    assert run_cli("capture", "analyse", "--format", "parquet", "-o", out, str(capture)).exit_code == 1
    again = run_cli("capture", "analyse", "--format", "parquet", "-o", out, str(capture))
    assert again.exit_code == 2 and "new or empty folder" in again.output
    assert run_cli("capture", "analyse", "--scheduler", "local:1", "-").exit_code == 2


@pytest.mark.corpus
def test_cli_scheduler_capture_analysis_of_the_rtds(rtds, client):
    folder = str(rtds[0][0].parents[1])
    single = run_cli("capture", "analyse", "--format", "jsonl", folder)
    clustered = run_cli("capture", "analyse", "--format", "jsonl", "--scheduler", client.scheduler.address, folder)
    assert clustered.stdout == single.stdout
    summary = json.loads(single.stdout.splitlines()[-1])
    assert summary["messages"] == len(rtds) and summary["rules"]


def test_capture_analysis_without_scheduler_imports_no_dask():
    import subprocess
    code = ("import sys; from click.testing import CliRunner; from gbcs.cli import main; "
            "r = CliRunner().invoke(main, ['capture', 'analyse', 'examples/captures']); "
            "assert r.exit_code in (0, 1), r.output; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'pyarrow')]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
