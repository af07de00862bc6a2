"""The validation engine: decode, check integrity, run every bound rule check, collect findings.

A check is a function bound to the rule ids it reports (`@rule_check(rule_id, ...)`), living in
the topic module of its rules (gbcs/validate/<topic>.py, listed in TOPIC_MODULES). It reads a
Context and yields Findings. A check that raises becomes a finding of its rule, never an
exception out of validate(); a decode failure is a finding and checks needing the tree are skipped.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from gbcs.decoding import decode
from gbcs.errors import DecodeError, GbcsError
from gbcs.findings import Finding, finding, from_error
from gbcs.message import Message
from gbcs.rules import rule as declared_rule, rules as declared_rules
from gbcs.spec import specs
from gbcs.spec.load import SpecSet

# The modules that hold rule checks, by topic; importing one registers its checks.
TOPIC_MODULES = ("integrity", "envelope", "payload", "alert", "precision", "certificate")


@dataclass
class Context:
    """What a rule check may read about one message."""
    data: bytes
    message: Message | None
    error: GbcsError | None
    integrity: object | None          # gbcs.crypto.Integrity, None when the envelope did not decode
    keystore: object | None
    specs: SpecSet

    def finding(self, rule: str, message: str, offset: int | None = None, field: str | None = None) -> Finding:
        return finding(rule, message, offset, field)


CheckFn = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    rules: tuple[str, ...]
    function: CheckFn
    needs: str                    # "message" (a decoded tree), "integrity", or "data" (always runs)

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"


_CHECKS: list[Check] = []


def rule_check(*rule_ids: str, needs: str = "message") -> Callable[[CheckFn], CheckFn]:
    """Bind a check function to the declared rules it reports."""
    for rule_id in rule_ids:
        declared_rule(rule_id)            # fail at import when a check names an undeclared rule
    if needs not in ("message", "integrity", "data"):
        raise ValueError(f"needs must be message, integrity or data, not {needs!r}")

    def register(function: CheckFn) -> CheckFn:
        _CHECKS.append(Check(tuple(rule_ids), function, needs))
        return function
    return register


def checks() -> list[Check]:
    """Every registered check (importing the topic modules once)."""
    for name in TOPIC_MODULES:
        importlib.import_module(f"gbcs.validate.{name}")
    return list(_CHECKS)


class RuleSelector:
    """Which rules to report, as ruff selects: rule ids, id prefixes or topic names.

    `select` keeps only matching rules (all when empty); `ignore` then drops matching ones.
    """

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None):
        self.select = tuple(_normalise(s) for s in (select or ()))
        self.ignore = tuple(_normalise(s) for s in (ignore or ()))
        known_topics = {r.topic for r in declared_rules().values()}
        for word in self.select + self.ignore:
            if not (word in known_topics or any(r.startswith(word) for r in declared_rules())):
                raise ValueError(f"{word!r} names no rule, rule prefix or topic; `gbcs rules` lists them")

    def wanted(self, rule_id: str) -> bool:
        topic = declared_rule(rule_id).topic
        def matches(words):
            return any(rule_id.startswith(w) or w == topic for w in words)
        if self.select and not matches(self.select):
            return False
        return not matches(self.ignore)


def _normalise(word: str) -> str:
    word = word.strip()
    return word.upper() if word.upper().startswith("GBCS") else word.lower()


@dataclass
class Validation:
    """The outcome of validating one message."""
    data: bytes
    message: Message | None
    error: GbcsError | None
    integrity: object | None = None           # gbcs.crypto.Integrity
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def signature(self) -> str | None:
        return getattr(self.integrity, "signature", None)

    @property
    def mac(self) -> str | None:
        return getattr(self.integrity, "mac", None)

    @property
    def decryption(self) -> str | None:
        return getattr(self.integrity, "decryption", None)


def check(data: bytes, message: Message | None, error: GbcsError | None, keystore=None, *,
          acb: bytes | str | None = None, selector: RuleSelector | None = None) -> Validation:
    """Integrity and findings for bytes already decoded (or not) by the caller."""
    from gbcs.crypto import check_integrity
    result = Validation(data, message, error)
    try:
        result.integrity = check_integrity(message if message is not None else data, keystore, acb=acb)
    except DecodeError:
        result.integrity = None               # no envelope to check: the decode finding says why
    ctx = Context(data, message, error, result.integrity, keystore, specs())
    found: list[Finding] = [from_error(error)] if error is not None else []
    for c in checks():
        if selector is not None and not any(selector.wanted(r) for r in c.rules):
            continue
        if (c.needs == "message" and message is None) or (c.needs == "integrity" and result.integrity is None):
            continue
        found.extend(_run(c, ctx))
    result.findings = [f for f in found if selector is None or selector.wanted(f.rule)]
    return result


def _run(c: Check, ctx: Context) -> Iterator[Finding]:
    try:
        yield from list(c.function(ctx))
    except Exception as exc:   # noqa: BLE001 - a broken check is reported under its rule, not raised
        yield finding(c.rules[0], f"the check {c.name} failed ({type(exc).__name__}: {exc}); "
                                  "the rule could not be evaluated — please report this with the input")


def validate(data: bytes, keystore=None, *, acb: bytes | str | None = None,
             select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Validation:
    """Decode `data` and check it. Never raises for bad messages: everything is a finding."""
    selector = RuleSelector(select, ignore) if (select or ignore) else None
    try:
        message, error = decode(data), None
    except GbcsError as exc:
        message, error = None, exc
    return check(data, message, error, keystore, acb=acb, selector=selector)


def validate_many(messages: Iterable[bytes], keystore=None, *, acb: bytes | str | None = None,
                  select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Iterator[Validation]:
    """validate() over a stream of messages, one result per message, lazily."""
    selector = RuleSelector(select, ignore) if (select or ignore) else None
    for data in messages:
        try:
            message, error = decode(data), None
        except GbcsError as exc:
            message, error = None, exc
        yield check(data, message, error, keystore, acb=acb, selector=selector)
