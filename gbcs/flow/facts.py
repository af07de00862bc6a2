"""What flow checks need to know about one message: who, which counter, which codes, which outcome.

The facts (settings, status fields, expected alerts, scenario words) come from specs/flows.gbspec.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gbcs.decoding import decode
from gbcs.errors import GbcsError
from gbcs.message import Message, Node
from gbcs.spec import specs


@dataclass
class FlowMessage:
    """One message of a flow, with where and when it was seen."""
    source: str                       # file (and ":N" / "#frame N" within it)
    data: bytes | None
    timestamp: float | None = None    # capture time, seconds since the epoch
    frame: int | None = None          # frame number in a capture (1-based)
    message: Message | None = None
    error: GbcsError | None = None
    index: int = 0                    # position in the stream, set by the analyser

    @classmethod
    def from_bytes(cls, data: bytes, source: str, timestamp: float | None = None,
                   frame: int | None = None, payloads: bool | str = True) -> "FlowMessage":
        """Decode `data`. payloads="alerts" reads only alerts' payloads (their codes), the rest
        envelope-only: what capture analysis needs, at half the cost."""
        try:
            if payloads == "alerts":
                message = decode(data, payloads=False)
                if message.kind == "alert":
                    message = decode(data)
            else:
                message = decode(data, payloads=bool(payloads))
            return cls(source, data, timestamp, frame, message)
        except GbcsError as exc:
            return cls(source, data, timestamp, frame, None, exc)

    @property
    def facts(self) -> "Facts | None":
        return facts_of(self.message) if self.message is not None else None


@dataclass(frozen=True)
class Facts:
    kind: str                       # command | response | alert | precommand
    originator: str | None          # EUI-64 as hex
    recipient: str | None
    counter: int | None
    message_code: int | None
    use_case: str | None
    alert_code: int | None = None
    # what an alert's payload says about the command it reports on (future-dated outcomes)
    ref_counter: int | None = None
    ref_message_code: int | None = None
    date_time: str | None = None

    def __reduce__(self):           # a plain tuple: a cluster ships millions of these
        return (Facts, (self.kind, self.originator, self.recipient, self.counter, self.message_code, self.use_case,
                        self.alert_code, self.ref_counter, self.ref_message_code, self.date_time))


def _value(node: Node) -> object:
    """A field's value: the leaf's own, or the `value` leaf of a tag-length-value group."""
    if node.is_leaf:
        return node.value
    inner = node.get("value")
    return inner.value if inner is not None and inner.is_leaf else None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (bytes, bytearray)) and 0 < len(value) <= 8:
        return int.from_bytes(value, "big")
    return None


def facts_of(message: Message) -> Facts:
    m = message.inner or message
    alert_code = ref_counter = ref_code = None
    payload = m.find("payload")
    if m.kind == "alert" and payload is not None:
        for _, node in payload.walk():
            if node.name == "alert_code" and alert_code is None:
                alert_code = _as_int(_value(node))
            elif node.name == "originator_counter" and ref_counter is None:
                ref_counter = _as_int(_value(node))
            elif node.name == "message_code" and ref_code is None:
                ref_code = _as_int(_value(node))
    return Facts(m.kind, m.originator.hex().upper() if m.originator else None,
                 m.recipient.hex().upper() if m.recipient else None, m.originator_counter,
                 m.message_code, m.use_case, alert_code, ref_counter, ref_code, m.date_time)


# -- settings and tables ----------------------------------------------------------------

def settings() -> dict[str, int]:
    """The capture-analysis defaults by name (specs/flows.gbspec, flow_setting analysis)."""
    return {name: row.cells["value"] for name, row in specs().get("flow_setting", "analysis").by_key.items()}


def hex_codes(text: str | None) -> frozenset[int]:
    return frozenset(int(word, 16) for word in (text or "").split())


@dataclass(frozen=True)
class ExpectedAlert:
    trigger: int
    trigger_kind: str
    alerts: frozenset[int]
    window: int
    title: str
    source: str | None


def _expected_alerts(s) -> dict[int, ExpectedAlert]:
    return {row.cells["trigger"]: ExpectedAlert(row.cells["trigger"], row.cells["trigger_kind"],
                                                hex_codes(row.cells["alerts"]), row.cells["window"],
                                                row.cells["title"], row.cells.get("source"))
            for item in s.of_kind("expected_alert") for row in item.rows}


def expected_alerts() -> dict[int, ExpectedAlert]:
    """Trigger message code -> the alerts it explains (specs/flows.gbspec, expected_alert)."""
    return specs().derived(_expected_alerts)


@dataclass(frozen=True)
class StatusField:
    path: tuple[str, ...]        # last names of the node's path
    family: str
    success: frozenset[int]
    not_found: frozenset[int]


def _status_fields(s) -> list[StatusField]:
    def ints(text):
        return frozenset(int(w) for w in (text or "").split())
    return [StatusField(tuple(row.cells["field"].split(".")), row.cells["family"], ints(row.cells["success"]),
                        ints(row.cells.get("not_found")))
            for item in s.of_kind("response_status") for row in item.rows]


@dataclass
class Outcome:
    """What a response says about its command: success, error, not_found or unknown."""
    verdict: str
    statuses: list[tuple[str, int, str | None]] = field(default_factory=list)   # (path, value, meaning)

    def describe(self) -> str:
        if not self.statuses:
            return "no status field"
        failing = [f"{path} = {value}" + (f" ({meaning})" if meaning else "")
                   for path, value, meaning in self.statuses if self.verdict == "success" or value]
        return "; ".join(failing[:4])


def response_outcome(message: Message) -> Outcome:
    """Classify a response by its status fields (specs/flows.gbspec, response_status)."""
    m = message.inner or message
    payload = m.find("payload")
    if payload is None:
        return Outcome("unknown")
    fields = [f for f in specs().derived(_status_fields) if f.family == m.payload_type]
    found: list[tuple[str, int, str | None]] = []
    verdicts: set[str] = set()
    for path, node in payload.walk():
        if not node.is_leaf or not isinstance(node.value, int) or isinstance(node.value, bool):
            continue
        parts = tuple(p.split("[", 1)[0] for p in path.split("."))
        for f in fields:
            if parts[-len(f.path):] == f.path:
                found.append((path, node.value, node.meaning))
                verdicts.add("success" if node.value in f.success else
                             "not_found" if node.value in f.not_found else "error")
                break
    if not found:
        return Outcome("unknown")
    verdict = "error" if "error" in verdicts else "not_found" if "not_found" in verdicts else "success"
    return Outcome(verdict, found)


@dataclass(frozen=True)
class ScenarioWord:
    word: str
    outcome: str | None
    on_success: frozenset[int]
    on_error: frozenset[int]
    title: str


def _scenario_words(s) -> dict[str, ScenarioWord]:
    return {row.cells["word"]: ScenarioWord(row.cells["word"], row.cells.get("outcome"),
                                            hex_codes(row.cells.get("on_success")),
                                            hex_codes(row.cells.get("on_error")), row.cells["title"])
            for item in s.of_kind("scenario_word") for row in item.rows}


def scenario_words() -> dict[str, ScenarioWord]:
    """The words of RTDS-style names and what each promises (specs/flows.gbspec, scenario_word)."""
    return specs().derived(_scenario_words)


def _scenario_kinds(s) -> dict[str, str]:
    return {row.cells["word"]: row.cells["kind"] for item in s.of_kind("scenario_kind") for row in item.rows}


def scenario_kinds() -> dict[str, str]:
    """KIND word of an RTDS-style file name -> message kind (specs/flows.gbspec, scenario_kind)."""
    return specs().derived(_scenario_kinds)
