"""Capture analysis on a Dask cluster, with exactly the events of one process (gbcs.flow.analyse).

1. scan: the inputs are cut into scans — whole files joined into a few scans per worker
   thread when there are enough files (each file read once, no planning pass), else runs of
   messages cut inside files as `validate` cuts them, or a bag's partitions — and each is
   decoded on a worker into Observations positioned `scan << 32 | i`, so positions sort as
   the capture does. Only each scan's clock (positions and times of its messages) and its
   command originators reach the client.
2. groups: state belongs to a device (a command's recipient, an alert's or response's
   originator), except a counter, followed per (originator, recipient): a command's counter sits
   with its recipient, an alert's with its originator. Parties linked both ways (A commands B
   and A alerts B) are put in one group. Real captures have none: the step moves a few names.
3. shuffle and analyse: observations go to `buckets` buckets by a stable hash of their group;
   each bucket runs one Analyser, in position order, on the whole capture's clock
   (CaptureClock), so commands time out at the message where they do in one process.
4. cross-device step: a response that answers no command of its own pair is F003 when any
   device had a command with its counter open at that position (the earliest opened is named),
   else F002. Only the counters of such responses travel.
5. merge: every bucket's events are already in order; they are merged by their order key.

Results stay on the workers until a step needs them. Caps (max_open_commands,
duplicate_memory) apply per bucket: the same results whenever no bucket reaches them.
"""
from __future__ import annotations

import gc
import heapq
import math
import os
import pickle
import zlib
from array import array
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from gbcs.dask.plan import DEFAULT_PARTITION_MESSAGES, Partition, input_files
from gbcs.flow.analyse import (Analyser, CaptureClock, Closed, DeviceSummary, FlowEvent, Observation, Unmatched,
                               observe, unmatched_finding)
from gbcs.flow.facts import settings as default_settings

PAYLOADS = "alerts"          # flows need headers and alert codes only (as `gbcs capture analyse`)


@dataclass
class Scan:
    """One scan of the inputs, decoded (kept on its worker)."""
    number: int
    observations: list[Observation]
    positions: array                 # of every message
    times: array                     # their times, NaN when unknown or not decoded
    requesters: set[str]             # command originators


@dataclass
class BucketResult:
    events: list[FlowEvent]
    summaries: list[DeviceSummary]
    unmatched: list[Unmatched]
    closed: list[Closed]
    count: int


@dataclass
class Analysis:
    """The capture's events in order, its device summaries and counts, as one process gives them."""
    events: list[FlowEvent]
    summaries: list[DeviceSummary]
    count: int
    rule_counts: Counter = field(default_factory=Counter)
    buckets: int = 0


# -- worker side ---------------------------------------------------------------------------

@contextmanager
def gc_paused() -> Iterator[None]:
    """Observations hold no cycles; with the cyclic GC on, every batch of new ones rescans all
    those a worker already holds (a million of them on a fleet run)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Packed:
    """Observations crossing between workers, pickled as one blob with the cyclic GC paused
    (two to three times faster both ways than letting Dask pickle them with it running)."""
    __slots__ = ("items",)

    def __init__(self, items: list[Observation]) -> None:
        self.items = items

    def __reduce__(self):
        with gc_paused():
            return (_unpack, (pickle.dumps(self.items, protocol=pickle.HIGHEST_PROTOCOL),))


def _unpack(blob: bytes) -> Packed:
    with gc_paused():
        return Packed(pickle.loads(blob))


def _scan(messages, number: int, keep_data: bool, messages_out: str | None) -> Scan:
    with gc_paused():
        return _scan_all(messages, number, keep_data, messages_out)


def _scan_all(messages, number: int, keep_data: bool, messages_out: str | None) -> Scan:
    observations, positions, times, requesters = [], array("q"), array("d"), set()
    for i, fm in enumerate(messages):
        o = observe(fm, number << 32 | i, keep_data)
        observations.append(o)
        positions.append(o.index)
        times.append(math.nan if o.t is None or o.facts is None else o.t)
        if o.facts is not None:
            if o.facts.kind == "command" and o.facts.originator:
                requesters.add(o.facts.originator)
    if messages_out is not None:
        from gbcs.io.parquet import FLOW_MESSAGE_COLUMNS, PartWriter, flow_message_row
        writer = PartWriter(messages_out, FLOW_MESSAGE_COLUMNS, first_part=number)
        writer.write([flow_message_row(o) for o in observations])
    return Scan(number, observations, positions, times, requesters)


def scan_partitions(parts: tuple[Partition, ...], number: int, keep_data: bool = False,
                    messages_out: str | None = None) -> Scan:
    """Consecutive partitions (small files go together), as one scan."""
    from gbcs.flow.stream import flow_messages_of
    messages = (fm for run in _file_runs(parts) for fm in flow_messages_of(run.messages(), PAYLOADS))
    return _scan(messages, number, keep_data, messages_out)


def _file_runs(parts: tuple[Partition, ...]) -> list[Partition]:
    """Consecutive partitions of one file as one (the file is read once)."""
    runs: list[Partition] = []
    for p in parts:
        last = runs[-1] if runs else None
        if last is not None and last.path == p.path and last.first + last.count == p.first:
            runs[-1] = Partition(p.path, last.first, last.count + p.count, p.capture)
        else:
            runs.append(p)
    return runs


WHOLE_FILE = 1 << 62             # a Partition's count that runs to the end of its file


def file_batches(files: list[str], tasks: int, capture=None) -> list[tuple[Partition, ...]]:
    """Whole files, consecutive ones joined into about `tasks` batches of similar size in bytes:
    no planning pass, and every file is read once."""
    sizes = [os.path.getsize(f) if os.path.isfile(f) else 0 for f in files]
    target = max(1, sum(sizes) // max(1, tasks))
    out: list[tuple[Partition, ...]] = []
    batch: list[Partition] = []
    size = 0
    for f, n in zip(files, sizes):
        if batch and size + n > target:
            out.append(tuple(batch))
            batch, size = [], 0
        batch.append(Partition(f, 0, WHOLE_FILE, capture))
        size += n
    if batch:
        out.append(tuple(batch))
    return out


def batches(parts: list[Partition], per_partition: int) -> list[tuple[Partition, ...]]:
    """Consecutive partitions joined up to `per_partition` messages, so a folder of small files
    is a few tasks, not one per file."""
    out: list[tuple[Partition, ...]] = []
    batch: list[Partition] = []
    size = 0
    for p in parts:
        if batch and size + p.count > per_partition:
            out.append(tuple(batch))
            batch, size = [], 0
        batch.append(p)
        size += p.count
    if batch:
        out.append(tuple(batch))
    return out


def scan_items(items, number: int, keep_data: bool = False, messages_out: str | None = None) -> Scan:
    """A bag partition of raw messages: bytes, or (source, bytes) pairs."""
    from gbcs.flow.stream import flow_messages_of
    from gbcs.io.inputs import InputMessage
    inputs = []
    for i, item in enumerate(items):
        source, data = item if isinstance(item, tuple) else (f"<bag {number}>:{i}", item)
        inputs.append(InputMessage(source, bytes(data), "binary"))
    return _scan(flow_messages_of(inputs, PAYLOADS), number, keep_data, messages_out)


def scan_clock(scan: Scan) -> tuple[int, int, array, array, set[str]]:
    return scan.number, len(scan.observations), scan.positions, scan.times, scan.requesters


def alert_links(scan: Scan, requesters: frozenset[str]) -> set[tuple[str, str]]:
    """(originator, recipient) of the alerts sent by a party that also sends commands."""
    return {(o.facts.originator, o.facts.recipient) for o in scan.observations
            if o.facts is not None and o.facts.kind == "alert" and o.facts.originator in requesters
            and o.facts.recipient}


def bucket_of(device: str | None, groups: dict[str, str], buckets: int) -> int:
    if device is None:
        return 0
    return zlib.crc32(groups.get(device, device).encode()) % buckets


def split(scan: Scan, groups: dict[str, str], buckets: int) -> list[Packed]:
    out: list[list[Observation]] = [[] for _ in range(buckets)]
    for o in scan.observations:
        out[bucket_of(o.device, groups, buckets)].append(o)
    return [Packed(items) for items in out]


def piece(pieces: list[Packed], bucket: int) -> Packed:
    return pieces[bucket]


def analyse_bucket(clock: CaptureClock, settings: dict, *pieces: Packed) -> BucketResult:
    a = Analyser(clock, partitioned=True, **settings)
    events: list[FlowEvent] = []
    with gc_paused():
        for part in pieces:                     # in partition order, each in position order
            for o in part.items:
                events += a.observe(o)
        events += a.finish()
    return BucketResult(events, a.summaries(), a.unmatched, a.closed, a.count)


def unmatched_of(result: BucketResult) -> list[Unmatched]:
    return result.unmatched


def closed_with(result: BucketResult, counters: frozenset) -> list[Closed]:
    return [c for c in result.closed if c.counter in counters]


def events_of(result: BucketResult) -> tuple[list[FlowEvent], list[DeviceSummary], int]:
    return result.events, result.summaries, result.count


# -- client side ---------------------------------------------------------------------------

def groups_of(links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union of linked parties: each linked name -> its group's smallest name."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in parent}


def resolve(unmatched: list[Unmatched], closed: list[Closed]) -> dict[tuple, tuple[int, object]]:
    """The finding of every unmatched response: event order key -> (slot, Finding)."""
    by_counter: dict = {}
    for c in closed:
        by_counter.setdefault(c.counter, []).append(c)
    out = {}
    for u in unmatched:
        open_then = [c for c in by_counter.get(u.facts.counter, ()) if c.opened < u.index < c.closed]
        earliest = min(open_then, key=lambda c: c.opened, default=None)
        out[(u.index, 3, 0)] = (u.slot, unmatched_finding(u.facts, earliest))
    return out


class InProcess:
    """Runs the steps of `analyse` one after another in this process, as a cluster runs them
    (client=InProcess()): for tests and debugging; never faster than one Analyser."""

    def nthreads(self) -> dict:
        return {"in-process": 1}

    def submit(self, function, *args, **kwargs):
        return function(*args, **kwargs)

    def map(self, function, items, pure=True, **kwargs) -> list:
        return [function(item, **kwargs) for item in items]

    def gather(self, results) -> list:
        return list(results)

    def scatter(self, data: list, broadcast: bool = False) -> list:
        return list(data)


def _client(client):
    if client is not None:
        return client
    from distributed import get_client
    try:
        return get_client()
    except ValueError:
        raise ValueError("no Dask client: pass client= or connect first (gbcs.dask.connect)") from None


def analyse(paths_or_bag, *, client=None, capture=None, per_partition: int | None = None,
            buckets: int | None = None, keep_data: bool = False, messages_out: str | None = None,
            **overrides: int | None) -> Analysis:
    """Analyse files and folders (or a bag of raw messages) as one capture, on the cluster.

    `capture`: gbcs.io.captures.CaptureOptions for pcap files; `overrides`: analysis settings as
    for Analyser (storm_window=…); `buckets`: how many device groups are analysed in parallel
    (default: two per worker thread); `per_partition`: cut scans of about this many messages
    inside files (default: whole files when there are at least two per worker thread, else
    2000); `keep_data`: events carry their message's bytes (for HTML
    reports); `messages_out`: a folder every worker can write, where each scan writes its part of
    the messages table (gbcs.io.parquet.FLOW_MESSAGE_COLUMNS).
    """
    from gbcs.dask.run import partitions
    client = _client(client)
    cfg = default_settings()
    unknown = set(overrides) - set(cfg)
    if unknown:
        raise ValueError(f"unknown analysis setting(s) {', '.join(sorted(unknown))}; known: {', '.join(cfg)}")
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    settings = {k: v for k, v in overrides.items() if v is not None}
    if buckets is None:
        buckets = max(1, 2 * sum(client.nthreads().values()))

    if hasattr(paths_or_bag, "to_delayed"):     # a dask Bag
        from dask import delayed
        scans = client.compute([delayed(scan_items, pure=True)(d, n, keep_data, messages_out)
                                for n, d in enumerate(paths_or_bag.to_delayed())])
    else:
        if isinstance(paths_or_bag, (str, os.PathLike)):
            paths_or_bag = [paths_or_bag]
        paths = [os.fspath(p) for p in paths_or_bag]
        threads = sum(client.nthreads().values())
        files = input_files(paths)
        if per_partition is None and len(files) >= 2 * threads:
            cut = file_batches(files, 4 * threads, capture)
        else:                                   # a few big files: cut inside them
            per_partition = per_partition or DEFAULT_PARTITION_MESSAGES
            cut = batches(partitions(paths, per_partition, client, capture), per_partition)
        scans = [client.submit(scan_partitions, b, n, keep_data, messages_out) for n, b in enumerate(cut)]

    heads = sorted(client.gather([client.submit(scan_clock, s) for s in scans]), key=lambda h: h[0])
    count = sum(h[1] for h in heads)
    clock = CaptureClock.of(((h[2], h[3]) for h in heads), cfg["response_timeout"])
    requesters = frozenset().union(*(h[4] for h in heads))
    links = set().union(*client.gather([client.submit(alert_links, s, requesters) for s in scans])) \
        if requesters else set()
    groups = groups_of(links)

    [clock_future] = client.scatter([clock], broadcast=True)
    splits = [client.submit(split, s, groups, buckets) for s in scans]
    results = [client.submit(analyse_bucket, clock_future, settings,
                             *[client.submit(piece, sp, b) for sp in splits]) for b in range(buckets)]
    del scans, splits

    unmatched = [u for part in client.gather([client.submit(unmatched_of, r) for r in results]) for u in part]
    fixes = {}
    if unmatched:
        counters = frozenset(u.facts.counter for u in unmatched)
        closed = [c for part in client.gather([client.submit(closed_with, r, counters) for r in results])
                  for c in part]
        fixes = resolve(unmatched, closed)
    gathered = client.gather([client.submit(events_of, r) for r in results])
    del results

    events = list(heapq.merge(*(g[0] for g in gathered), key=lambda e: e.order))
    for e in events:
        fix = fixes.get(e.order)
        if fix is not None:
            e.findings[fix[0]] = fix[1]
    rule_counts = Counter(f.rule for e in events for f in e.findings)
    summaries = sorted((s for g in gathered for s in g[1]), key=lambda s: s.device)
    return Analysis(events, summaries, count, rule_counts, buckets)
