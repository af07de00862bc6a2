"""Capture analysis: pair commands with responses, follow counters, spot duplicates, alert storms
and alerts that an earlier command explains — streaming, in memory bounded by the open flows.

    analyser = Analyser()
    for fm in messages:                 # FlowMessage, in capture order
        for event in analyser.feed(fm): ...
    for event in analyser.finish(): ...  # unanswered commands, open storms, per-device summaries

Every window and threshold defaults to specs/flows.gbspec (flow_setting analysis); the alerts
an earlier command explains are its expected_alert tables.

The same code analyses a capture split by device on a cluster (gbcs.dask.flows): every state
it keeps belongs to one device (the command's recipient, the alert's or response's
originator), except three things defined so that a split run can reproduce them exactly:
- the clock: `now` is the latest time of a decoded message so far in the whole capture; a
  command times out at the first message after it whose `now` is more than response_timeout
  past it (a clock says which: LocalClock, or CaptureClock for a part of a capture);
- a response that answers no open command of its own pair is F003 when any open command has
  its counter (the earliest opened one is named), else F002 (`unmatched_finding`);
- a duplicate is the same bytes seen within duplicate_window of `now`.
Every event has an `order` key (position, phase, opened position); events come out sorted by it.
The caps max_open_commands and duplicate_memory apply to one Analyser (per partition on a
cluster): results are the same whenever a cap is not reached.
"""
from __future__ import annotations

import hashlib
import heapq
import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

from gbcs.findings import Finding, finding, from_error
from gbcs.flow.facts import Facts, FlowMessage, expected_alerts, facts_of, settings


@dataclass
class FlowEvent:
    """Findings about one message (or about a device, for storms), with where it was seen."""
    source: str
    frame: int | None
    timestamp: float | None
    device: str | None
    findings: list[Finding]
    facts: Facts | None = None
    data: bytes | None = field(default=None, repr=False)    # the message, for reports
    order: tuple = field(default=(), repr=False, compare=False)   # (position, phase, opened position)

    def to_dict(self) -> dict:
        f = self.facts
        return {"record": "flow", "source": self.source, "frame": self.frame, "timestamp": self.timestamp,
                "time": iso(self.timestamp), "device": self.device,
                "kind": f.kind if f else None, "originator": f.originator if f else None,
                "recipient": f.recipient if f else None, "originator_counter": f.counter if f else None,
                "message_code": f.message_code if f else None, "alert_code": f.alert_code if f else None,
                "findings": [x.to_dict() for x in self.findings]}


@dataclass
class Storm:
    device: str
    start: float
    end: float
    count: int
    codes: Counter
    source: str
    frame: int | None
    at: int = 0                     # position of the alert that made it a storm

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "start_time": iso(self.start), "end_time": iso(self.end),
                "count": self.count, "codes": {f"0x{c:04X}" if c is not None else "none": n
                                               for c, n in self.codes.most_common()}}


@dataclass
class DeviceSummary:
    """The per-device timeline: counts, first and last sight, alert codes, storms, alert buckets."""
    device: str
    commands: int = 0
    responses: int = 0
    alerts: int = 0
    unanswered: int = 0
    first: float | None = None
    last: float | None = None
    alert_codes: Counter = field(default_factory=Counter)
    storms: list[Storm] = field(default_factory=list)
    bucket_width: float = 60.0
    buckets: dict[int, int] = field(default_factory=dict)     # bucket index (time // width) -> alerts

    def see(self, t: float | None) -> None:
        if t is None:
            return
        self.first = t if self.first is None else min(self.first, t)
        self.last = t if self.last is None else max(self.last, t)

    def add_alert(self, t: float | None, code: int | None, max_buckets: int) -> None:
        self.alerts += 1
        self.alert_codes[code] += 1
        if t is None:
            return
        key = int(t // self.bucket_width)
        self.buckets[key] = self.buckets.get(key, 0) + 1
        while len(self.buckets) > max_buckets:          # coarser buckets keep memory bounded
            self.bucket_width *= 2
            merged: dict[int, int] = {}
            for k, n in self.buckets.items():
                merged[k // 2] = merged.get(k // 2, 0) + n
            self.buckets = merged

    def to_dict(self) -> dict:
        return {"record": "device", "device": self.device, "commands": self.commands, "responses": self.responses,
                "alerts": self.alerts, "unanswered_commands": self.unanswered,
                "first": iso(self.first), "last": iso(self.last),
                "alert_codes": {f"0x{c:04X}" if c is not None else "none": n for c, n in self.alert_codes.most_common()},
                "storms": [s.to_dict() for s in self.storms],
                "timeline": {"bucket_seconds": self.bucket_width,
                             "alerts": [[k * self.bucket_width, n] for k, n in sorted(self.buckets.items())]}}


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def _header_time(facts: Facts | None) -> float | None:
    """The grouping header's date-time, for messages read without a capture timestamp."""
    if facts is None or not facts.date_time:
        return None
    try:
        dt = datetime.fromisoformat(facts.date_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


END = 1 << 62      # the position after every message: what the end of the input reports


@dataclass(slots=True)
class Observation:
    """What the analyser needs of one message, made where it is decoded (small and picklable)."""
    index: int                       # position in the capture: orders messages and events
    source: str
    frame: int | None
    timestamp: float | None          # capture time
    t: float | None                  # capture time, else the grouping header's date-time
    facts: Facts | None              # None when the message did not decode
    digest: bytes | None = None      # of the bytes, for duplicates
    error: Finding | None = None     # why it did not decode
    data: bytes | None = None        # the bytes, kept for reports only
    size: int = 0                    # of the bytes

    def __reduce__(self):            # a plain tuple: faster to ship between workers
        return (Observation, (self.index, self.source, self.frame, self.timestamp, self.t, self.facts, self.digest,
                              self.error, self.data, self.size))

    @property
    def device(self) -> str | None:
        """The device the message is about: a command's recipient, else its originator."""
        f = self.facts
        if f is None:
            return None
        return f.recipient if f.kind == "command" else f.originator

    @property
    def where(self) -> str:
        return f"{self.source} frame {self.frame}" if self.frame is not None and "#" not in self.source else self.source


def observe(fm: FlowMessage, index: int, keep_data: bool = True) -> Observation:
    if fm.message is None:
        err = from_error(fm.error) if fm.error is not None else None
        return Observation(index, fm.source, fm.frame, fm.timestamp, fm.timestamp, None, None, err,
                           fm.data if keep_data else None)
    facts = facts_of(fm.message)
    t = fm.timestamp if fm.timestamp is not None else _header_time(facts)
    return Observation(index, fm.source, fm.frame, fm.timestamp, t, facts,
                       hashlib.blake2b(fm.data, digest_size=16).digest(), None, fm.data if keep_data else None,
                       len(fm.data))


class LocalClock:
    """The clock of a whole capture fed in order: `now` is the latest time seen so far, and a
    command times out at the message being fed."""

    def __init__(self) -> None:
        self.now: float | None = None

    def tick(self, index: int, t: float | None) -> float | None:
        if t is not None:
            self.now = t if self.now is None else max(self.now, t)
        return self.now

    def expired_at(self, opened: int, time: float, current: int) -> int:
        return current

    def final(self) -> float | None:
        return self.now


class CaptureClock:
    """The clock of a whole capture for an analyser that sees only part of it (one device's
    messages): `positions` are those of every message of the capture in order, `nows` the
    latest time seen up to each (-inf before any)."""

    def __init__(self, positions: array, nows: array, response_timeout: int) -> None:
        self.positions, self.nows, self.timeout = positions, nows, response_timeout

    @classmethod
    def of(cls, parts: Iterable[tuple[array, array]], response_timeout: int) -> "CaptureClock":
        """From each partition's (positions, times) in capture order (time NaN when unknown or
        when the message did not decode)."""
        positions, nows = array("q"), array("d")
        now = -math.inf
        for part_positions, times in parts:
            positions.extend(part_positions)
            for t in times:
                if t == t and t > now:              # NaN: no time
                    now = t
                nows.append(now)
        return cls(positions, nows, response_timeout)

    def tick(self, index: int, t: float | None) -> float | None:
        now = self.nows[bisect_left(self.positions, index)]
        return None if now == -math.inf else now

    def expired_at(self, opened: int, time: float, current: int) -> int:
        # the first message after the command whose `now` is past the timeout
        k = max(bisect_right(self.positions, opened),
                bisect_right(self.nows, time, key=lambda now: now - self.timeout))
        return self.positions[k] if k < len(self.positions) else current

    def final(self) -> float | None:
        return None if not self.nows or self.nows[-1] == -math.inf else self.nows[-1]


@dataclass
class _Open:
    facts: Facts
    time: float | None
    source: str
    frame: int | None
    index: int
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Closed:
    """An answered or expired command: open for the responses after `opened` and before `closed`."""
    counter: int | None
    opened: int
    closed: int
    originator: str | None
    recipient: str | None
    where: str


def unmatched_finding(facts: Facts, command: Closed | _Open | None) -> Finding:
    """What a response that answers no open command of its own pair is: F003 when `command`
    (the earliest opened open command with its counter) exists, else F002."""
    if command is not None:
        orig, recip, where = ((command.originator, command.recipient, command.where) if isinstance(command, Closed)
                              else (command.facts.originator, command.facts.recipient, command.source))
        return finding("GBCS-F003", f"the response {facts.originator} -> {facts.recipient} with counter "
                                    f"{facts.counter} does not swap the parties of the command "
                                    f"{orig} -> {recip} ({where})", field="grouping_header")
    return finding("GBCS-F002", f"no command with counter {facts.counter} from {facts.recipient} to "
                                f"{facts.originator} was seen before this response")


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A response left for the cross-device step (partitioned runs): its event is (index, 3, 0),
    and its finding `slot` is F002 or F003 once every device's open commands are known."""
    index: int
    slot: int
    facts: Facts


class Analyser:
    """Streaming flow checks over messages in capture order. Memory grows with the open
    (unanswered) commands, the devices and the bounded recent-message memory, not with the capture.

    `clock` (default LocalClock) gives `now` and where a command times out; a partition of a
    split capture passes the capture's clock and `partitioned=True`, which keeps a small record
    of every closed command and leaves unmatched responses to the cross-device step
    (gbcs.dask.flows)."""

    def __init__(self, clock=None, *, partitioned: bool = False, **overrides: int) -> None:
        cfg = settings()
        unknown = set(overrides) - set(cfg)
        if unknown:
            raise ValueError(f"unknown analysis setting(s) {', '.join(sorted(unknown))}; known: {', '.join(cfg)}")
        cfg.update({k: v for k, v in overrides.items() if v is not None})
        self.cfg = cfg
        self.clock = clock if clock is not None else LocalClock()
        self.partitioned = partitioned
        self.expected = expected_alerts()
        self._max_expected_window = max((e.window for e in self.expected.values()), default=0)
        self.open: OrderedDict[tuple, _Open] = OrderedDict()      # (device, requester, counter), opened order
        self.open_by_counter: dict[int, dict[tuple, None]] = {}
        self.timeouts: list[tuple[float, int, tuple]] = []       # heap of (time, opened position, key)
        self.closed: list[Closed] = []                            # partitioned: for the cross-device step
        self.unmatched: list[Unmatched] = []
        self.last_counter: dict[tuple[str, str], tuple[int, str]] = {}
        self.recent: OrderedDict[bytes, tuple[float | None, str]] = OrderedDict()
        self.devices: dict[str, DeviceSummary] = {}
        self.alert_window: dict[str, deque] = {}
        self.storm: dict[str, Storm] = {}
        self.triggers: dict[str, deque] = {}
        self.count = 0
        self.rule_counts: Counter = Counter()

    @property
    def now(self) -> float | None:
        return self.clock.final()

    # -- public ------------------------------------------------------------------------

    def feed(self, fm: FlowMessage) -> list[FlowEvent]:
        fm.index = self.count
        return self.observe(observe(fm, self.count))

    def observe(self, obs: Observation) -> list[FlowEvent]:
        """The events of one message (its position `obs.index` orders it in the capture)."""
        self.count += 1
        facts = obs.facts
        t = obs.t if facts is not None else None
        now = self.clock.tick(obs.index, t)
        events = self._expire(obs.index, now)
        if facts is None:
            if obs.error is not None:
                events.append(self._event(obs, None, None, [obs.error]))
            return events
        found: list[Finding] = []
        duplicate = self._duplicate(obs, now, found)
        device = obs.device
        summary = self._device(device) if device else None
        if summary is not None:
            summary.see(t)
        if facts.kind == "command":
            if summary is not None:
                summary.commands += 1
            if not duplicate:
                self._counter(facts, found)
                self._open_command(obs, facts, t)
                self._trigger(facts.recipient, facts.message_code, "command", t, obs)
        elif facts.kind == "response":
            if summary is not None:
                summary.responses += 1
            if not duplicate:
                self._answer(obs, facts, found)
        elif facts.kind == "alert":
            if not duplicate:
                self._counter(facts, found)
            explained = self._explained(facts, t, found)
            if summary is not None:
                summary.add_alert(t, facts.alert_code, self.cfg["timeline_buckets"])
            if not explained and not duplicate:
                events += self._storm_step(facts, t, obs)
            self._trigger(facts.originator, facts.message_code, "alert", t, obs)
        if found:
            events.append(self._event(obs, t, device, found, facts))
        return events

    def finish(self) -> list[FlowEvent]:
        """Commands left open (timed out after this analyser's last message on a split capture's
        clock, else unanswered by the end of the input) and storms still going."""
        events = self._expire(END, self.clock.final(), everything=True)
        for device, s in sorted(self.storm.items(), key=lambda item: item[1].at):
            events.append(self._close_storm(device, END))
        return events

    def summaries(self) -> list[DeviceSummary]:
        return [self.devices[d] for d in sorted(self.devices)]

    def run(self, messages: Iterable[FlowMessage]) -> Iterator[FlowEvent]:
        for fm in messages:
            yield from self.feed(fm)
        yield from self.finish()

    # -- pieces --------------------------------------------------------------------------

    def _event(self, obs: Observation, t, device, found: list[Finding], facts: Facts | None = None) -> FlowEvent:
        for f in found:
            self.rule_counts[f.rule] += 1
        return FlowEvent(obs.source, obs.frame, t, device, found, facts, obs.data, (obs.index, 3, 0))

    def _device(self, device: str) -> DeviceSummary:
        s = self.devices.get(device)
        if s is None:
            s = self.devices[device] = DeviceSummary(device)
        return s

    def _duplicate(self, obs: Observation, now: float | None, found: list[Finding]) -> bool:
        window = self.cfg["duplicate_window"]

        def forgotten(seen_t: float | None) -> bool:
            return now is not None and seen_t is not None and seen_t < now - window

        while self.recent:                          # forget what is too old or too much
            oldest_t = next(iter(self.recent.values()))[0]
            if len(self.recent) >= self.cfg["duplicate_memory"] or forgotten(oldest_t):
                self.recent.popitem(last=False)
            else:
                break
        seen = self.recent.get(obs.digest)
        if seen is not None and not forgotten(seen[0]):
            found.append(finding("GBCS-F005", f"the same {obs.size} bytes were seen before at {seen[1]}"))
            return True
        self.recent[obs.digest] = (obs.t, obs.where)
        self.recent.move_to_end(obs.digest)
        return False

    def _counter(self, facts: Facts, found: list[Finding]) -> None:
        if facts.counter is None or facts.originator is None:
            return
        key = (facts.originator, facts.recipient or "")
        previous = self.last_counter.get(key)
        if previous is not None and facts.counter <= previous[0]:
            found.append(finding("GBCS-F004", f"{facts.kind} counter {facts.counter} from {facts.originator} to "
                                              f"{facts.recipient} is not greater than its previous {previous[0]} "
                                              f"(at {previous[1]})", field="grouping_header.transaction_id"))
            return
        self.last_counter[key] = (facts.counter, facts.kind)

    def _open_command(self, obs: Observation, facts: Facts, t: float | None) -> None:
        key = (facts.recipient, facts.originator, facts.counter)
        if key in self.open:                        # the same transaction again: the newer one is awaited
            self._close(key, obs.index)
        self.open[key] = _Open(facts, t, obs.where, obs.frame, obs.index, obs.data)
        self.open_by_counter.setdefault(facts.counter, {})[key] = None
        if t is not None:
            heapq.heappush(self.timeouts, (t, obs.index, key))
            if len(self.timeouts) > 2 * len(self.open) + 1024:     # drop answered ones: memory follows open flows
                self.timeouts = [e for e in self.timeouts if e[2] in self.open and self.open[e[2]].index == e[1]]
                heapq.heapify(self.timeouts)

    def _close(self, key: tuple, at: int) -> _Open:
        entry = self.open.pop(key)
        keys = self.open_by_counter.get(key[2])
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self.open_by_counter[key[2]]
        if self.partitioned:
            f = entry.facts
            self.closed.append(Closed(f.counter, entry.index, at, f.originator, f.recipient, entry.source))
        return entry

    def _answer(self, obs: Observation, facts: Facts, found: list[Finding]) -> None:
        key = (facts.originator, facts.recipient, facts.counter)
        if key in self.open:
            command = self._close(key, obs.index)
            if command.facts.message_code != facts.message_code:
                found.append(finding("GBCS-F003", f"the response to counter {facts.counter} has message code "
                                                  f"0x{facts.message_code or 0:04X}, its command ({command.source}) "
                                                  f"0x{command.facts.message_code or 0:04X}",
                                     field="grouping_header.other_information.message_code"))
            return
        if self.partitioned:                        # other devices' commands decide: see gbcs.dask.flows
            self.unmatched.append(Unmatched(obs.index, len(found), facts))
            found.append(unmatched_finding(facts, None))
            return
        same_counter = [self.open[k] for k in self.open_by_counter.get(facts.counter, ())]
        earliest = min(same_counter, key=lambda c: c.index, default=None)
        found.append(unmatched_finding(facts, earliest))

    def _expire(self, at: int, now: float | None, everything: bool = False) -> list[FlowEvent]:
        """Close the commands that timed out by `now`, then the oldest ones over the cap (and with
        `everything`, the rest): events ordered by (position, 0, opened position)."""
        timeout = self.cfg["response_timeout"]
        timed: list[tuple[int, int, tuple]] = []
        if now is not None:
            while self.timeouts and self.timeouts[0][0] < now - timeout:
                time, index, key = heapq.heappop(self.timeouts)
                entry = self.open.get(key)
                if entry is None or entry.index != index:       # answered or sent again since
                    continue
                timed.append((self.clock.expired_at(index, time, at), index, key))
        closing: list[tuple[int, int, _Open, str]] = []
        for when, index, key in sorted(timed):
            closing.append((when, index, self._close(key, when), f"within {timeout} s"))
        limit = self.cfg["max_open_commands"]
        while len(self.open) > limit or (everything and self.open):
            key, entry = next(iter(self.open.items()))
            why = f"while {limit} newer commands were open" if len(self.open) > limit else "by the end of the input"
            closing.append((at, entry.index, self._close(key, at), why))
        closing.sort(key=lambda c: (c[0], c[1]))
        return [self._unanswered(entry, why, (when, 0, index)) for when, index, entry, why in closing]

    def _unanswered(self, entry, why: str, order: tuple) -> FlowEvent:
        f = entry.facts
        if f.recipient:
            self._device(f.recipient).unanswered += 1
        found = [finding("GBCS-F001", f"command 0x{f.message_code or 0:04X} ({f.use_case or 'unknown use case'}) "
                                      f"counter {f.counter} from {f.originator} to {f.recipient} got no response "
                                      f"{why}")]
        self.rule_counts["GBCS-F001"] += 1
        return FlowEvent(entry.source, entry.frame, entry.time, f.recipient, found, f, entry.data, order)

    def _trigger(self, device: str | None, code: int | None, kind: str, t: float | None, obs: Observation) -> None:
        e = self.expected.get(code) if code is not None else None
        if device is None or e is None or e.trigger_kind != kind:
            return
        q = self.triggers.setdefault(device, deque())
        q.append((t, e, obs.where))
        while len(q) > 1 and q[0][0] is not None and t is not None and q[0][0] < t - self._max_expected_window:
            q.popleft()

    def _explained(self, facts: Facts, t: float | None, found: list[Finding]) -> bool:
        q = self.triggers.get(facts.originator or "")
        if not q or facts.alert_code is None:
            return False
        for when, e, where in reversed(q):
            if facts.alert_code not in e.alerts:
                continue
            if t is not None and when is not None and not (when <= t <= when + e.window):
                continue
            after = f" {t - when:.0f} s" if t is not None and when is not None else ""
            found.append(finding("GBCS-F007", f"alert 0x{facts.alert_code:04X} is expected{after} after "
                                              f"{e.title.split(' after ', 1)[-1]} ({where}), per {e.source or 'the specification'}"))
            return True
        return False

    def _storm_step(self, facts: Facts, t: float | None, obs: Observation) -> list[FlowEvent]:
        device = facts.originator
        if device is None or t is None:
            return []
        window, threshold = self.cfg["storm_window"], self.cfg["storm_threshold"]
        q = self.alert_window.setdefault(device, deque(maxlen=threshold + 1))
        q.append((t, facts.alert_code, obs.where, obs.frame))
        in_storm = len(q) > threshold and q[0][0] >= t - window
        storm = self.storm.get(device)
        events = []
        if in_storm and storm is None:           # the storm starts with the oldest alert in the window
            self.storm[device] = Storm(device, q[0][0], t, len(q), Counter(c for _, c, _, _ in q), q[0][2], q[0][3],
                                       obs.index)
        elif storm is not None:
            if in_storm:
                storm.end, storm.count = t, storm.count + 1
                storm.codes[facts.alert_code] += 1
            else:                                   # the rate fell back under the threshold
                events.append(self._close_storm(device, obs.index))
        return events

    def _close_storm(self, device: str, at: int) -> FlowEvent:
        s = self.storm.pop(device)
        self._device(device).storms.append(s)
        codes = ", ".join(f"0x{c:04X}×{n}" if c is not None else f"unknown×{n}" for c, n in s.codes.most_common(5))
        text = (f"alert storm from {device}: {s.count} alerts from {iso(s.start) or s.start} to {iso(s.end) or s.end} "
                f"(more than {self.cfg['storm_threshold']} within {self.cfg['storm_window']} s); codes {codes}")
        self.rule_counts["GBCS-F006"] += 1
        return FlowEvent(s.source, s.frame, s.start, device, [finding("GBCS-F006", text)],
                         order=(at, 2, s.at))
