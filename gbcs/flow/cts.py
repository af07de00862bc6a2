"""Common Test Scenarios: ordered steps of one flow, each message checked, then checked together.

A scenario comes from a TOML scenario file (schema in docs/scenarios.md and `load_scenario_file`)
or from a folder laid out as the DCC's Reference Test Data Set, where every file is named
`<use case>_<service ref>_<variant>_<KIND>_GBCS.HEX` (KIND: PRECOMMAND, COMMAND, RESPONSE, or
`[<alert code>_]<variant>_ALERT[_<label>]`) and each variant is one scenario.

Per scenario: every message validates (gbcs.validate), the command's signed part equals its
pre-command, the response answers the command (swapped parties, same counter and message code),
the alerts belong to the command, and the outcome the scenario names is the one the response
(or the outcome alert) reports.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from gbcs.decoding import is_gbt_block
from gbcs.errors import GbcsError
from gbcs.findings import Finding, finding
from gbcs.flow.facts import FlowMessage, facts_of, response_outcome, scenario_kinds, scenario_words

KINDS = ("request", "precommand", "command", "response", "alert")
RTDS_NAME = re.compile(r"^(?P<use_case>[^_]+)_(?P<sref>[^_]+)_(?P<rest>.+)_GBCS\.HEX$", re.IGNORECASE)
_ALERT_CODE = re.compile(r"^(?:[0-9A-Fa-f]{4}|NA)$")
_EXPECT_KEYS = {"use_case", "message_code", "outcome", "alert_code", "kind", "values"}
_SELECT_KEYS = {"kind", "counter", "message_code", "alert_code", "originator", "recipient", "frame"}


class ScenarioError(GbcsError):
    """A scenario file that cannot be used: says which file, which step and what to write instead."""


@dataclass
class Step:
    kind: str                               # one of KINDS
    source: str                             # file (and message/frame within it)
    message: FlowMessage | None = None      # None: the file could not be read
    read_error: str | None = None
    expect: dict = field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    steps: list[Step]
    words: tuple[str, ...] = ()             # RTDS variant words (SUCCESS, FUTURE_DATED, …)
    origin: str = "rtds"                    # rtds | file


@dataclass
class StepResult:
    step: Step
    findings: list[Finding]
    validation: Any = None                  # gbcs.validate.Validation

    @property
    def verdict(self) -> str:
        return "fail" if any(f.severity == "error" for f in self.findings) else "pass"

    def to_dict(self) -> dict:
        m = self.step.message
        return {"kind": self.step.kind, "source": self.step.source,
                "frame": m.frame if m else None, "timestamp": m.timestamp if m else None,
                "verdict": self.verdict, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list[StepResult]
    findings: list[Finding]                 # findings about the flow, not one message

    @property
    def verdict(self) -> str:
        bad = any(f.severity == "error" for f in self.findings) or any(s.verdict == "fail" for s in self.steps)
        return "fail" if bad else "pass"

    def to_dict(self) -> dict:
        return {"scenario": self.scenario.name, "verdict": self.verdict,
                "steps": [s.to_dict() for s in self.steps], "findings": [f.to_dict() for f in self.findings]}


# -- finding scenarios ------------------------------------------------------------------

def discover(paths: Iterable[str]) -> Iterator[Scenario | ScenarioError]:
    """Scenarios in PATHS: TOML files, RTDS-layout folders, or folders holding either."""
    for path in paths:
        if os.path.isfile(path):
            yield from _from_file(path)
        elif os.path.isdir(path):
            found = False
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                if any(RTDS_NAME.match(f) for f in filenames):
                    found = True
                    yield from rtds_scenarios(dirpath)
                    for f in sorted(filenames):
                        if RTDS_NAME.match(f) and parse_rtds_name(f) is None:
                            yield ScenarioError(f"{os.path.join(dirpath, f)}: the name does not say what the file "
                                                "holds — end it _PRECOMMAND_GBCS.HEX, _COMMAND_GBCS.HEX, "
                                                "_RESPONSE_GBCS.HEX or …_ALERT[_label]_GBCS.HEX")
                for f in sorted(filenames):
                    if f.endswith(".toml"):
                        found = True
                        yield from _from_file(os.path.join(dirpath, f))
            if not found:
                yield ScenarioError(f"{path}: no scenario here — expected *.toml scenario files or files named "
                                    "<use case>_<service ref>_<variant>_<KIND>_GBCS.HEX")
        else:
            yield ScenarioError(f"{path}: no such file or directory — check the path")


def _from_file(path: str) -> Iterator[Scenario | ScenarioError]:
    try:
        yield load_scenario_file(path)
    except ScenarioError as exc:
        yield exc


@dataclass
class _Named:
    path: str
    kind: str
    variant: tuple[str, ...]
    alert_code: int | None = None


def parse_rtds_name(filename: str) -> _Named | None:
    """The kind, variant words and alert code an RTDS-style file name gives; None if it is not one."""
    m = RTDS_NAME.match(filename)
    if m is None:
        return None
    words = m.group("rest").upper().split("_")
    kinds = scenario_kinds()
    alert_word = next((w for w, k in kinds.items() if k == "alert"), None)
    if alert_word in words:                 # [code_]variant_ALERT[_label]
        i = words.index(alert_word)
        before = words[:i]
        code = None
        if before and _ALERT_CODE.match(before[0]):
            code = int(before[0], 16) if before[0] != "NA" else None
            before = before[1:]
        return _Named(filename, "alert", tuple(before), code)
    if kinds.get(words[-1]) in ("precommand", "command", "response"):
        return _Named(filename, kinds[words[-1]], tuple(words[:-1]))
    return None


def rtds_scenarios(folder: str) -> list[Scenario]:
    """One scenario per variant of an RTDS-layout folder; alerts join the variant they name."""
    named: list[_Named] = []
    for f in sorted(os.listdir(folder)):
        n = parse_rtds_name(f)
        if n is not None and os.path.isfile(os.path.join(folder, f)):
            named.append(n)
    variants: dict[tuple[str, ...], list[_Named]] = {}
    for n in named:
        if n.kind != "alert":
            variants.setdefault(n.variant, []).append(n)
    for n in named:
        if n.kind == "alert":
            variants.setdefault(n.variant, []).append(n)
    base = os.path.basename(os.path.normpath(folder))
    order = {k: i for i, k in enumerate(KINDS)}
    scenarios = []
    for variant, files in variants.items():
        files.sort(key=lambda n: (order[n.kind], n.path))
        steps = [_read_step(n.kind, os.path.join(folder, n.path)) for n in files]
        for step, n in zip(steps, files):
            if n.alert_code is not None:
                step.expect["alert_code"] = n.alert_code
        name = f"{base}/{'_'.join(variant)}" if variant else base
        scenarios.append(Scenario(name, steps, variant, "rtds"))
    scenarios.sort(key=lambda s: s.name)
    return scenarios


def _read_step(kind: str, path: str, *, message: int | None = None, select: dict | None = None) -> Step:
    """The step's message from a file gbcs can read (hex, base64, binary, XML, capture)."""
    from gbcs.io.inputs import iter_inputs
    items = list(iter_inputs([path]))
    bad = [i for i in items if i.data is None]
    good = [i for i in items if i.data is not None]
    if not good:
        why = bad[0].error.message if bad and bad[0].error else "no message in the file"
        return Step(kind, path, None, why)
    if len(good) > 1 and message is None and select is None and all(is_gbt_block(i.data) for i in good):
        data = b"".join(i.data for i in good)          # one message in GBT blocks
        return Step(kind, path, FlowMessage.from_bytes(data, path))
    candidates = [FlowMessage.from_bytes(i.data, i.source, i.timestamp, i.frame) for i in good]
    if select:
        candidates = [c for c in candidates if _selected(c, select)]
        if len(candidates) != 1:
            return Step(kind, path, None, f"the selector {select} matches {len(candidates)} messages of {path}, "
                                          "not exactly one — narrow it (counter, frame, message_code)")
        return Step(kind, candidates[0].source, candidates[0])
    index = (message or 1) - 1
    if not 0 <= index < len(candidates):
        return Step(kind, path, None, f"{path} holds {len(candidates)} messages; message = {message} is out of range")
    chosen = candidates[index]
    return Step(kind, chosen.source, chosen)


def _selected(fm: FlowMessage, select: dict) -> bool:
    if fm.message is None:
        return False
    f = facts_of(fm.message)
    have = {"kind": f.kind, "counter": f.counter, "message_code": f.message_code, "alert_code": f.alert_code,
            "originator": f.originator, "recipient": f.recipient, "frame": fm.frame}
    for key, want in select.items():
        got = have[key]
        if isinstance(want, str) and isinstance(got, str):
            if got.upper() != want.upper().replace(" ", "").replace(":", ""):
                return False
        elif got != want:
            return False
    return True


# -- scenario files ----------------------------------------------------------------------

def load_scenario_file(path: str) -> Scenario:
    """A TOML scenario:

        name = "ECS52 read firmware version"          # optional, default: the file name
        [[steps]]
        kind = "command"                              # precommand | command | response | alert
        file = "ecs52-command.hex"                    # relative to the scenario file
        message = 1                                   # which message of the file (default 1), or
        select = { kind = "response", counter = 4096 }   # pick one message of a capture
        expect = { use_case = "ECS52", outcome = "success", alert_code = 0x8F66,
                   message_code = 0x0059, values = { "payload.data[0]" = "0123ABCD" } }
    """
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc}) — see docs/scenarios.md for the schema") from None
    unknown = set(doc) - {"name", "steps", "description"}
    if unknown:
        raise ScenarioError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; a scenario has name, "
                            "description and [[steps]]")
    raw_steps = doc.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError(f"{path}: no [[steps]] — a scenario lists its messages as [[steps]] tables")
    here = os.path.dirname(os.path.abspath(path))
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        where = f"{path}: step {number}"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: a step is a table with kind and file")
        extra = set(raw) - {"kind", "file", "message", "select", "expect"}
        if extra:
            raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(extra))}; a step has kind, file, "
                                "message or select, and expect")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise ScenarioError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if kind == "request":
            raise ScenarioError(f"{where}: DUIS request steps are not checked yet; leave the request out "
                                "and start the scenario at its pre-command or command")
        if not isinstance(raw.get("file"), str):
            raise ScenarioError(f"{where}: file = \"…\" (a message file or capture, relative to the scenario)")
        select = raw.get("select")
        if select is not None and (not isinstance(select, dict) or set(select) - _SELECT_KEYS):
            raise ScenarioError(f"{where}: select is a table of {', '.join(sorted(_SELECT_KEYS))}")
        expect = raw.get("expect", {})
        if not isinstance(expect, dict) or set(expect) - _EXPECT_KEYS:
            raise ScenarioError(f"{where}: expect is a table of {', '.join(sorted(_EXPECT_KEYS))}")
        if expect.get("outcome") not in (None, "success", "error", "not_found"):
            raise ScenarioError(f"{where}: expect.outcome is success, error or not_found")
        message = raw.get("message")
        if message is not None and (not isinstance(message, int) or message < 1):
            raise ScenarioError(f"{where}: message is a 1-based message number")
        step = _read_step(kind, os.path.join(here, raw["file"]), message=message, select=select)
        step.expect = dict(expect)
        steps.append(step)
    name = doc.get("name") or os.path.splitext(os.path.basename(path))[0]
    return Scenario(str(name), steps, (), "file")


# -- running ------------------------------------------------------------------------------

def run_scenario(scenario: Scenario, keystore=None, *, acb: bytes | str | None = None) -> ScenarioResult:
    """Check every step, then the steps together. Never raises for bad messages."""
    from gbcs.validate import check
    results: list[StepResult] = []
    for step in scenario.steps:
        fm = step.message
        if fm is None:
            results.append(StepResult(step, [finding("GBCS-F012", f"{step.kind} could not be read: {step.read_error}")]))
            continue
        v = check(fm.data, fm.message, fm.error, keystore, acb=acb)
        found = list(v.findings)
        if fm.message is not None:
            found += _expectations(step, fm)
        results.append(StepResult(step, found, v))
    flow = _flow_checks(scenario, results)
    return ScenarioResult(scenario, results, flow)


def _expectations(step: Step, fm: FlowMessage) -> list[Finding]:
    f = facts_of(fm.message)
    out = []
    kind = step.expect.get("kind", step.kind)
    if f.kind != kind:
        out.append(finding("GBCS-F011", f"the {step.kind} step holds a {f.kind}, not a {kind}", 0, "grouping_header"))
    e = step.expect
    if "use_case" in e and (f.use_case or "") != str(e["use_case"]):
        out.append(finding("GBCS-F011", f"use case is {f.use_case or 'unknown'}, the scenario expects {e['use_case']}"))
    if "message_code" in e and f.message_code != e["message_code"]:
        out.append(finding("GBCS-F011", f"message code is {_code(f.message_code)}, the scenario expects "
                                        f"{_code(e['message_code'])}"))
    if "alert_code" in e and f.kind == "alert" and f.alert_code != e["alert_code"]:
        out.append(finding("GBCS-F011", f"alert code is {_code(f.alert_code)}, the scenario expects "
                                        f"{_code(e['alert_code'])}"))
    for path, want in (e.get("values") or {}).items():
        node = fm.message.find(path)
        if node is None:
            out.append(finding("GBCS-F011", f"the message has no field {path}; the scenario expects {want!r} there",
                               field=path))
            continue
        got = node.value
        if isinstance(got, (bytes, bytearray)):
            shown = got.hex().upper()
            matches = isinstance(want, str) and shown == want.replace(" ", "").upper()
        else:
            shown, matches = got, got == want
        if not matches and not (node.meaning is not None and str(node.meaning) == str(want)):
            out.append(finding("GBCS-F011", f"{path} is {shown!r}, the scenario expects {want!r}", node.start, path))
    return out


def _code(code: int | None) -> str:
    return "none" if code is None else f"0x{code:04X}"


def _first(results: list[StepResult], kind: str) -> StepResult | None:
    for r in results:
        if r.step.kind == kind and r.step.message is not None and r.step.message.message is not None:
            return r
    return None


def _flow_checks(scenario: Scenario, results: list[StepResult]) -> list[Finding]:
    flow: list[Finding] = []
    pre, cmd, rsp = _first(results, "precommand"), _first(results, "command"), _first(results, "response")
    alerts = [r for r in results if r.step.kind == "alert" and r.step.message and r.step.message.message]
    if pre and cmd:
        problem = signed_part_differs(pre.step.message.message, cmd.step.message.message)
        if problem:
            cmd.findings.append(finding("GBCS-F008", problem))
    if cmd and not any(r.step.kind == "response" for r in results):
        c = facts_of(cmd.step.message.message)
        flow.append(finding("GBCS-F001", f"command {_code(c.message_code)} counter {c.counter} to {c.recipient} has no "
                                         "response in the scenario"))
    if cmd and rsp:
        problem = response_mismatch(cmd.step.message.message, rsp.step.message.message)
        if problem:
            rsp.findings.append(finding("GBCS-F003", problem, 0, "grouping_header"))
    if cmd:
        c = facts_of(cmd.step.message.message)
        for a in alerts:
            problem = alert_foreign(c, facts_of(a.step.message.message))
            if problem:
                a.findings.append(finding("GBCS-F010", problem))
    outcome = _expected_outcome(scenario, rsp)
    if outcome and rsp:
        said = response_outcome(rsp.step.message.message)
        if not outcome_agrees(outcome, said.verdict):
            where = said.statuses[0][0] if said.statuses else None
            rsp.findings.append(finding("GBCS-F009", f"the scenario names outcome {outcome}, but the response "
                                                     f"reports {said.verdict}: {said.describe()}", field=where))
    succeeded = "success" in _named_outcomes(scenario)
    failed = "error" in _named_outcomes(scenario)
    for w in _named_words(scenario):
        if not (w.on_success or w.on_error):
            continue
        allowed = (w.on_success if succeeded else frozenset()) | (w.on_error if failed else frozenset())
        for a in alerts:
            code = facts_of(a.step.message.message).alert_code
            if allowed and code in (w.on_success | w.on_error) and code not in allowed:
                a.findings.append(finding("GBCS-F009", f"alert {_code(code)} reports the other outcome than the "
                                                       f"scenario's {'SUCCESS' if succeeded else 'ERROR'}"))
    return flow


def _named_words(scenario: Scenario) -> list:
    """The scenario_word rows a variant's name holds (a word may span tokens: NOT_FOUND)."""
    joined = "_" + "_".join(scenario.words) + "_"
    return [w for name, w in scenario_words().items() if f"_{name}_" in joined]


def _named_outcomes(scenario: Scenario) -> set[str]:
    return {w.outcome for w in _named_words(scenario) if w.outcome}


def _expected_outcome(scenario: Scenario, rsp: StepResult | None) -> str | None:
    if rsp is not None and rsp.step.expect.get("outcome"):
        return rsp.step.expect["outcome"]
    named = _named_outcomes(scenario)
    return next(iter(named)) if len(named) == 1 else None


def outcome_agrees(expected: str, said: str) -> bool:
    """Does a response's outcome fit the expected one? Unknown never disagrees; a successful
    response may report some records not found."""
    return said == "unknown" or said == expected or (expected == "success" and said == "not_found")


def signed_part_differs(precommand, command) -> str | None:
    """Why the command's signed part (GBCS 4.3.2: DF to the end of the content) is not the
    pre-command's, or None when they are the same bytes."""
    from gbcs.crypto.envelope import from_message
    try:
        p, c = from_message(precommand), from_message(command)
    except (GbcsError, AttributeError, KeyError) as exc:
        return f"the signed part could not be located: {exc}"
    pre_part = p.data[p.apdu_start:p.content_end]
    cmd_part = c.data[c.apdu_start:c.content_end]
    if pre_part == cmd_part:
        return None
    at = next((i for i, (x, y) in enumerate(zip(pre_part, cmd_part)) if x != y), min(len(pre_part), len(cmd_part)))
    return (f"the command's signed part ({len(cmd_part)} bytes) differs from its pre-command ({len(pre_part)} bytes) "
            f"from byte {at} of the General-Signing APDU on")


def response_mismatch(command, response) -> str | None:
    c, r = facts_of(command), facts_of(response)
    problems = []
    if r.kind != "response":
        problems.append(f"it is a {r.kind}, not a response")
    if (r.originator, r.recipient) != (c.recipient, c.originator):
        problems.append(f"it goes {r.originator} -> {r.recipient}, the command {c.originator} -> {c.recipient} "
                        "(a response swaps the parties)")
    if r.counter != c.counter:
        problems.append(f"its counter {r.counter} is not the command's {c.counter}")
    if r.message_code != c.message_code:
        problems.append(f"its message code {_code(r.message_code)} is not the command's {_code(c.message_code)}")
    return ("the response does not answer the command: " + "; ".join(problems)) if problems else None


def alert_foreign(c, a) -> str | None:
    problems = []
    if a.originator != c.recipient:
        problems.append(f"it comes from {a.originator}, the command went to {c.recipient}")
    if a.ref_counter is not None and a.ref_counter != c.counter:
        problems.append(f"it reports on counter {a.ref_counter}, the command's is {c.counter}")
    if a.ref_message_code is not None and a.ref_message_code != c.message_code:
        problems.append(f"it reports on message code {_code(a.ref_message_code)}, the command's is "
                        f"{_code(c.message_code)}")
    return ("the alert does not belong to the command: " + "; ".join(problems)) if problems else None


def run_all(paths: Iterable[str], keystore=None, *, acb=None) -> Iterator[ScenarioResult | ScenarioError]:
    for item in discover(paths):
        yield item if isinstance(item, ScenarioError) else run_scenario(item, keystore, acb=acb)


__all__ = ["Scenario", "ScenarioError", "ScenarioResult", "Step", "StepResult", "discover", "load_scenario_file",
           "parse_rtds_name", "rtds_scenarios", "run_all", "run_scenario"]

