"""Capture analysis at scale: generate a pcap of N messages (default 1,000,000) and analyse it,
reporting time and peak memory as it goes, to show memory stays flat (bounded by open flows).

    python benchmarks/bench_flows.py [--messages N] [--devices D] [--keep FILE]

The capture holds DLT_USER frames, one message each: per device, commands answered by their
responses, with an alert every tenth exchange and one unanswered command per 10,000 messages.
Messages are built once with gbcs's encoder, then their counters and parties are patched.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import dpkt

from gbcs.builder import Envelope, general_signing, mac_wrap
from gbcs.decoding import decode
from gbcs.flow.analyse import Analyser
from gbcs.flow.stream import flow_messages
from gbcs.payload import dlms

SUPPLIER = bytes.fromhex("AB00000000010000")
T0 = 1_800_000_000.0


def templates():
    device = bytes.fromhex("AB00000000000000")
    env = Envelope("command", 1, SUPPLIER, device, 0x0059)
    get = dlms.build_access_request([("get", 1, "0-0:0.2.1.255", 2)], invoke_id=1)
    command = mac_wrap(general_signing(env, get, b""), bytes(12))
    renv = Envelope("response", 1, device, SUPPLIER, 0x0059)
    response = general_signing(renv, dlms.build_access_response([b"\x01\x02\x03\x04"], [("get", 0)], invoke_id=1), b"")
    aenv = Envelope("alert", 1, device, SUPPLIER, 0x1001)
    alert = general_signing(aenv, dlms.build_alert(0x8F36), b"")
    out = []
    for data in (command, response, alert):
        m = decode(data, payloads=False)
        counter = m.find("grouping_header.transaction_id.originator_counter")
        who = "recipient" if m.kind == "command" else "originator"
        party = m.find(f"grouping_header.{who}.id")
        out.append((bytearray(data), counter.start, party.start))
    return out


def patched(template, counter: int, device: int) -> bytes:
    data, at_counter, at_party = template
    data[at_counter:at_counter + 8] = counter.to_bytes(8, "big")
    data[at_party + 6:at_party + 8] = device.to_bytes(2, "big")
    return bytes(data)


def generate(path: str, messages: int, devices: int, files: int = 1) -> list[str]:
    """Write the capture to `path` (or, with several files, `path`-00000.pcap … in capture order)."""
    cmd, rsp, alert = templates()
    per_file = -(-messages // files)
    paths = [path] if files == 1 else [f"{path}-{i:05d}.pcap" for i in range(files)]
    out = open(paths[0], "wb")
    w = dpkt.pcap.Writer(out, linktype=147)

    def put(data: bytes, ts: float) -> None:
        nonlocal out, w, n
        if n and n % per_file == 0 and files > 1:
            out.close()
            out = open(paths[n // per_file], "wb")
            w = dpkt.pcap.Writer(out, linktype=147)
        w.writepkt(data, ts=ts)
        n += 1

    n = exchange = 0
    alert_counters = [0] * devices
    while n < messages:
        device = exchange % devices
        counter = 1_000_000 + exchange
        t = T0 + exchange * 0.05
        put(patched(cmd, counter, device), t)
        if n % 10_000 and n < messages:                   # one command in 10,000 is never answered
            put(patched(rsp, counter, device), t + 0.02)
        if exchange % 10 == 0 and n < messages:
            alert_counters[device] += 1
            put(patched(alert, alert_counters[device], device), t + 0.03)
        exchange += 1
    out.close()
    return paths[:-(-n // per_file)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--keep", help="write the capture here and keep it")
    args = ap.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(), "bench.pcap")
    started = time.perf_counter()
    generate(path, args.messages, args.devices)
    print(f"generated {args.messages:,} messages ({os.path.getsize(path) / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - started:.1f} s; peak RSS {peak_rss_mib():.0f} MiB", flush=True)
    analyser = Analyser()
    started = time.perf_counter()
    findings = 0
    checkpoints = {args.messages // 10 * k for k in (1, 2, 5, 10)}
    for fm in flow_messages([path], payloads="alerts"):
        for event in analyser.feed(fm):
            findings += len(event.findings)
        if analyser.count in checkpoints:
            print(f"  {analyser.count:>9,} messages  {time.perf_counter() - started:7.1f} s  peak RSS "
                  f"{peak_rss_mib():6.1f} MiB  open commands {len(analyser.open)}", flush=True)
    findings += sum(len(e.findings) for e in analyser.finish())
    elapsed = time.perf_counter() - started
    print(f"analysed {analyser.count:,} messages in {elapsed:.1f} s ({analyser.count / elapsed:,.0f}/s); "
          f"{findings} findings {dict(analyser.rule_counts)}; {len(analyser.devices)} devices; "
          f"peak RSS {peak_rss_mib():.0f} MiB")
    if not args.keep:
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
