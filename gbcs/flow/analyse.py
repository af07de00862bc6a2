"""Capture analysis: pair commands with responses, follow counters, spot duplicates, alert storms
and alerts that an earlier command explains — streaming, in memory bounded by the open flows.

    analyser = Analyser()
    for fm in messages:                 # FlowMessage, in capture order
        for event in analyser.feed(fm): ...
    for event in analyser.finish(): ...  # unanswered commands, open storms, per-device summaries

Every window and threshold defaults to specs/flows.gbspec (flow_setting analysis); the alerts
an earlier command explains are its expected_alert tables.
"""
from __future__ import annotations

import hashlib
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


@dataclass
class _Open:
    facts: Facts
    time: float | None
    source: str
    frame: int | None
    index: int
    data: bytes | None = None


class Analyser:
    """Streaming flow checks over messages in capture order. Memory grows with the open
    (unanswered) commands, the devices and the bounded recent-message memory, not with the capture."""

    def __init__(self, **overrides: int) -> None:
        cfg = settings()
        unknown = set(overrides) - set(cfg)
        if unknown:
            raise ValueError(f"unknown analysis setting(s) {', '.join(sorted(unknown))}; known: {', '.join(cfg)}")
        cfg.update({k: v for k, v in overrides.items() if v is not None})
        self.cfg = cfg
        self.expected = expected_alerts()
        self._max_expected_window = max((e.window for e in self.expected.values()), default=0)
        self.open: OrderedDict[tuple, _Open] = OrderedDict()      # (device, requester, counter)
        self.open_by_counter: dict[int, set[tuple]] = {}
        self.last_counter: dict[tuple[str, str], tuple[int, str]] = {}
        self.recent: OrderedDict[bytes, tuple[float | None, str]] = OrderedDict()
        self.devices: dict[str, DeviceSummary] = {}
        self.alert_window: dict[str, deque] = {}
        self.storm: dict[str, Storm] = {}
        self.triggers: dict[str, deque] = {}
        self.count = 0
        self.rule_counts: Counter = Counter()
        self.now: float | None = None

    # -- public ------------------------------------------------------------------------

    def feed(self, fm: FlowMessage) -> list[FlowEvent]:
        fm.index = self.count
        self.count += 1
        events: list[FlowEvent] = []
        if fm.message is None:
            err = fm.error
            if err is not None:
                events.append(self._event(fm, None, None, [from_error(err)]))
            return events
        facts = facts_of(fm.message)
        t = fm.timestamp if fm.timestamp is not None else _header_time(facts)
        if t is not None:
            self.now = t if self.now is None else max(self.now, t)
        events += self._expire(self.now)
        found: list[Finding] = []
        duplicate = self._duplicate(fm, t, found)
        device = facts.recipient if facts.kind == "command" else facts.originator
        summary = self._device(device) if device else None
        if summary is not None:
            summary.see(t)
        if facts.kind == "command":
            if summary is not None:
                summary.commands += 1
            if not duplicate:
                self._counter(facts, found)
                self._open_command(fm, facts, t)
                self._trigger(facts.recipient, facts.message_code, "command", t, fm)
        elif facts.kind == "response":
            if summary is not None:
                summary.responses += 1
            if not duplicate:
                self._answer(facts, found)
        elif facts.kind == "alert":
            if not duplicate:
                self._counter(facts, found)
            explained = self._explained(facts, t, found)
            if summary is not None:
                summary.add_alert(t, facts.alert_code, self.cfg["timeline_buckets"])
            if not explained and not duplicate:
                events += self._storm_step(facts, t, fm)
            self._trigger(facts.originator, facts.message_code, "alert", t, fm)
        if found:
            events.append(self._event(fm, t, device, found, facts))
        return events

    def finish(self) -> list[FlowEvent]:
        events = self._expire(None, everything=True)
        for device in list(self.storm):
            events.append(self._close_storm(device))
        return events

    def summaries(self) -> list[DeviceSummary]:
        return [self.devices[d] for d in sorted(self.devices)]

    def run(self, messages: Iterable[FlowMessage]) -> Iterator[FlowEvent]:
        for fm in messages:
            yield from self.feed(fm)
        yield from self.finish()

    # -- pieces --------------------------------------------------------------------------

    def _event(self, fm: FlowMessage, t, device, found: list[Finding], facts: Facts | None = None) -> FlowEvent:
        for f in found:
            self.rule_counts[f.rule] += 1
        return FlowEvent(fm.source, fm.frame, t, device, found, facts, fm.data)

    def _device(self, device: str) -> DeviceSummary:
        s = self.devices.get(device)
        if s is None:
            s = self.devices[device] = DeviceSummary(device)
        return s

    def _duplicate(self, fm: FlowMessage, t: float | None, found: list[Finding]) -> bool:
        digest = hashlib.blake2b(fm.data, digest_size=16).digest()
        window = self.cfg["duplicate_window"]
        while self.recent:                          # forget what is too old or too much
            oldest_t = next(iter(self.recent.values()))[0]
            if len(self.recent) >= self.cfg["duplicate_memory"] or (
                    t is not None and oldest_t is not None and oldest_t < t - window):
                self.recent.popitem(last=False)
            else:
                break
        seen = self.recent.get(digest)
        if seen is not None:
            found.append(finding("GBCS-F005", f"the same {len(fm.data)} bytes were seen before at {seen[1]}"))
            return True
        self.recent[digest] = (t, _where(fm))
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

    def _open_command(self, fm: FlowMessage, facts: Facts, t: float | None) -> None:
        key = (facts.recipient, facts.originator, facts.counter)
        self.open[key] = _Open(facts, t, _where(fm), fm.frame, fm.index, fm.data)
        self.open.move_to_end(key)
        self.open_by_counter.setdefault(facts.counter, set()).add(key)

    def _close(self, key: tuple) -> _Open:
        entry = self.open.pop(key)
        keys = self.open_by_counter.get(key[2])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.open_by_counter[key[2]]
        return entry

    def _answer(self, facts: Facts, found: list[Finding]) -> None:
        key = (facts.originator, facts.recipient, facts.counter)
        if key in self.open:
            command = self._close(key)
            if command.facts.message_code != facts.message_code:
                found.append(finding("GBCS-F003", f"the response to counter {facts.counter} has message code "
                                                  f"0x{facts.message_code or 0:04X}, its command ({command.source}) "
                                                  f"0x{command.facts.message_code or 0:04X}",
                                     field="grouping_header.other_information.message_code"))
            return
        same_counter = [self.open[k] for k in self.open_by_counter.get(facts.counter, ())]
        if same_counter:
            c = same_counter[0]
            found.append(finding("GBCS-F003", f"the response {facts.originator} -> {facts.recipient} with counter "
                                              f"{facts.counter} does not swap the parties of the command "
                                              f"{c.facts.originator} -> {c.facts.recipient} ({c.source})",
                                 field="grouping_header"))
            return
        found.append(finding("GBCS-F002", f"no command with counter {facts.counter} from {facts.recipient} to "
                                          f"{facts.originator} was seen before this response"))

    def _expire(self, now: float | None, everything: bool = False) -> list[FlowEvent]:
        events = []
        timeout = self.cfg["response_timeout"]
        while self.open:
            key, entry = next(iter(self.open.items()))
            too_many = len(self.open) > self.cfg["max_open_commands"]
            too_old = now is not None and entry.time is not None and entry.time < now - timeout
            if not (everything or too_many or too_old):
                break
            self._close(key)
            why = ("by the end of the input" if everything and not (too_many or too_old) else
                   f"within {timeout} s" if too_old else
                   f"while {self.cfg['max_open_commands']} newer commands were open")
            f = entry.facts
            if f.recipient:
                self._device(f.recipient).unanswered += 1
            found = [finding("GBCS-F001", f"command 0x{f.message_code or 0:04X} ({f.use_case or 'unknown use case'}) "
                                          f"counter {f.counter} from {f.originator} to {f.recipient} got no response "
                                          f"{why}")]
            events.append(FlowEvent(entry.source, entry.frame, entry.time, f.recipient, found, f, entry.data))
            self.rule_counts["GBCS-F001"] += 1
        return events

    def _trigger(self, device: str | None, code: int | None, kind: str, t: float | None, fm: FlowMessage) -> None:
        e = self.expected.get(code) if code is not None else None
        if device is None or e is None or e.trigger_kind != kind:
            return
        q = self.triggers.setdefault(device, deque())
        q.append((t, e, _where(fm)))
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

    def _storm_step(self, facts: Facts, t: float | None, fm: FlowMessage) -> list[FlowEvent]:
        device = facts.originator
        if device is None or t is None:
            return []
        window, threshold = self.cfg["storm_window"], self.cfg["storm_threshold"]
        q = self.alert_window.setdefault(device, deque(maxlen=threshold + 1))
        q.append((t, facts.alert_code, _where(fm), fm.frame))
        in_storm = len(q) > threshold and q[0][0] >= t - window
        storm = self.storm.get(device)
        events = []
        if in_storm and storm is None:           # the storm starts with the oldest alert in the window
            self.storm[device] = Storm(device, q[0][0], t, len(q), Counter(c for _, c, _, _ in q), q[0][2], q[0][3])
        elif storm is not None:
            if in_storm:
                storm.end, storm.count = t, storm.count + 1
                storm.codes[facts.alert_code] += 1
            else:                                   # the rate fell back under the threshold
                events.append(self._close_storm(device))
        return events

    def _close_storm(self, device: str) -> FlowEvent:
        s = self.storm.pop(device)
        self._device(device).storms.append(s)
        codes = ", ".join(f"0x{c:04X}×{n}" if c is not None else f"unknown×{n}" for c, n in s.codes.most_common(5))
        text = (f"alert storm from {device}: {s.count} alerts from {iso(s.start) or s.start} to {iso(s.end) or s.end} "
                f"(more than {self.cfg['storm_threshold']} within {self.cfg['storm_window']} s); codes {codes}")
        self.rule_counts["GBCS-F006"] += 1
        return FlowEvent(s.source, s.frame, s.start, device, [finding("GBCS-F006", text)])


def _where(fm: FlowMessage) -> str:
    return f"{fm.source} frame {fm.frame}" if fm.frame is not None and "#" not in fm.source else fm.source
