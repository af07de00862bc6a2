"""The validation engine: decode, check integrity, run every bound rule check, collect findings.

A check is a function bound to the rule ids it reports (`@rule_check(rule_id, ...)`), living in
the topic module of its rules (gbcs/validate/<topic>.py, listed in TOPIC_MODULES). It reads a
Context and yields Findings. A check that raises becomes a finding of its rule, never an
exception out of validate(); a decode failure is a finding and checks needing the tree are skipped.

Which checks run on a message is planned once per rule selection and, for decoded messages,
once per message class (code, CRA flag, payload family): a check declared with
`applies=` is left out of the classes where it can find nothing (an alert rule on a command,
a GBZ rule on a DLMS payload).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from gbcs.decoding import decode
from gbcs.errors import DecodeError, GbcsError, KeystoreError
from gbcs.findings import Finding, finding, from_error
from gbcs.message import Message
from gbcs.rules import rule as declared_rule, rules as declared_rules, topics as declared_topics
from gbcs.spec import specs
from gbcs.spec.load import SpecSet

# The modules that hold rule checks, by topic; importing one registers its checks.
TOPIC_MODULES = ("integrity", "envelope", "payload", "alert", "precision", "certificate")


@dataclass(slots=True)
class Context:
    """What a rule check may read about one message."""
    data: bytes
    message: Message | None
    error: GbcsError | None
    integrity: object | None          # gbcs.crypto.Integrity, None when the envelope did not decode
    keystore: object | None
    specs: SpecSet
    _scan: object | None = field(default=None, init=False, repr=False)
    _memo: dict | None = field(default=None, init=False, repr=False)

    @property
    def scan(self):
        """gbcs.validate.facts.TreeScan of the message tree: one pass shared by the checks that
        look at the whole tree (length forms, carried certificates). Needs a decoded message."""
        if self._scan is None:
            from gbcs.validate.facts import scan_tree
            self._scan = scan_tree(self.message.root)
        return self._scan

    def once(self, compute: Callable[["Context"], object]):
        """compute(self), worked out once per message for every check that asks."""
        memo = self._memo
        if memo is None:
            memo = self._memo = {}
        elif compute in memo:
            return memo[compute]
        value = memo[compute] = compute(self)
        return value

    def finding(self, rule: str, message: str, offset: int | None = None, field: str | None = None) -> Finding:
        return finding(rule, message, offset, field)


CheckFn = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class MessageClass:
    """What decides whether a check can apply to a decoded message: the carried message's code,
    CRA flag and payload family (for GBT input, the message the blocks carry)."""
    message_code: int | None
    cra_flag: int | None
    payload_type: str | None


AppliesFn = Callable[[MessageClass, SpecSet], bool]


@dataclass(frozen=True)
class Check:
    rules: tuple[str, ...]
    function: CheckFn
    needs: str                    # "message" (a decoded tree), "integrity", or "data" (always runs)
    # False when the check can find nothing in a message of that class (it is then not run on
    # one); decided once per class. None: it may apply to any message.
    applies: AppliesFn | None = None

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"


_CHECKS: list[Check] = []


def rule_check(*rule_ids: str, needs: str = "message",
               applies: AppliesFn | None = None) -> Callable[[CheckFn], CheckFn]:
    """Bind a check function to the declared rules it reports.

    `applies(message_class, specs)`, when given, is False for the classes of decoded message
    (gbcs.validate.engine.MessageClass) in which the check can find nothing: it must be
    implied by the check's own early returns. It is asked once per class, not per message."""
    for rule_id in rule_ids:
        declared_rule(rule_id)            # fail at import when a check names an undeclared rule
    if needs not in ("message", "integrity", "data"):
        raise ValueError(f"needs must be message, integrity or data, not {needs!r}")

    def register(function: CheckFn) -> CheckFn:
        _CHECKS.append(Check(tuple(rule_ids), function, needs, applies))
        return function
    return register


_TOPICS_LOADED = False


def checks() -> list[Check]:
    """Every registered check (importing the topic modules once)."""
    global _TOPICS_LOADED
    if not _TOPICS_LOADED:
        for name in TOPIC_MODULES:
            importlib.import_module(f"gbcs.validate.{name}")
        _TOPICS_LOADED = True
    return list(_CHECKS)


class RuleSelector:
    """Which rules to report, as ruff selects: rule ids, id prefixes or topic names.

    `select` keeps only matching rules (all when empty); `ignore` then drops matching ones.
    Each word may itself be a comma-separated list ("GBCS-S,mac"). An unknown word is a
    ValueError that says where the rules are listed.
    """

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None):
        self.select = _words(select)
        self.ignore = _words(ignore)
        known_topics = set(declared_topics())
        for word in self.select + self.ignore:
            if not (word in known_topics or any(r.startswith(word) for r in declared_rules())):
                raise ValueError(f"{word!r} names no rule, rule prefix or topic; `gbcs rules` lists them")
        self._cache: dict[str, bool] = {}

    # (the check list it was made from, its length, the checks wanted, their plans per message class)
    _plan: tuple | None = None

    def wanted(self, rule_id: str) -> bool:
        known = self._cache.get(rule_id)
        if known is None:
            known = self._cache[rule_id] = self._decide(rule_id)
        return known

    def _decide(self, rule_id: str) -> bool:
        topic = declared_rule(rule_id).topic

        def matches(words):
            return any(rule_id.startswith(w) or w == topic for w in words)
        if self.select and not matches(self.select):
            return False
        return not matches(self.ignore)


def _words(words: Iterable[str] | str | None) -> tuple[str, ...]:
    if isinstance(words, str):
        words = [words]
    return tuple(_normalise(w) for item in (words or ()) for w in item.split(",") if w.strip())


def _normalise(word: str) -> str:
    word = word.strip()
    return word.upper() if word.upper().startswith("GBCS") else word.lower()


def selector(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> RuleSelector | None:
    """A RuleSelector, or None when nothing is selected or ignored (every rule applies)."""
    return RuleSelector(select, ignore) if (_words(select) or _words(ignore)) else None


VERIFIED, UNVERIFIED, FAILED = "verified", "unverified", "failed"


_NEW_LIST: list = []        # a default that stands for "a new empty list" (field(default_factory=list))


@dataclass(init=False)
class Validation:
    """The outcome of validating one message."""
    data: bytes
    message: Message | None
    error: GbcsError | None
    integrity: object | None = None           # gbcs.crypto.Integrity
    findings: list[Finding] = field(default_factory=list)
    source: str | None = None

    # written out (init=False): the generated one is interpreted even in the compiled twin
    def __init__(self, data: bytes, message: Message | None, error: GbcsError | None, integrity: object | None = None,
                 findings: list[Finding] = _NEW_LIST, source: str | None = None):
        self.data = data
        self.message = message
        self.error = error
        self.integrity = integrity
        self.findings = [] if findings is _NEW_LIST else findings
        self.source = source

    @property
    def ok(self) -> bool:
        """No error finding (warnings allowed)."""
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

    @property
    def verified(self) -> bool:
        """Every protection the message carries was checked and holds, and it carries one.

        A message with nothing to check (a pre-command), or whose keys are missing, or that was
        read without a keystore, is never verified."""
        states = [s for s in (self.signature, self.mac, self.decryption) if s not in (None, "absent")]
        return bool(states) and all(s == "valid" for s in states)

    @property
    def unknown_parties(self) -> list[str]:
        """EUIs the keystore had no key for, so a check could not be made."""
        return list(getattr(self.integrity, "unknown_parties", []) or [])

    def outcome(self, strict: bool = False) -> str:
        """failed (an error finding, or any warning when strict), verified, or unverified."""
        if not self.ok or (strict and any(f.severity == "warning" for f in self.findings)):
            return FAILED
        return VERIFIED if self.verified else UNVERIFIED

    @property
    def status(self) -> str:
        return self.outcome()

    def to_dict(self) -> dict:
        return {"source": self.source, "status": self.status, "ok": self.ok, "signature": self.signature,
                "mac": self.mac, "decryption": self.decryption, "unknown_parties": self.unknown_parties,
                "findings": [f.to_dict() for f in self.findings]}


_ALL_RULES_PLAN: tuple | None = None


def _plan(chosen: RuleSelector | None) -> tuple[Check, ...]:
    """The checks that report a rule `chosen` wants (all of them for None), worked out once per
    selector, not per message (again when the registered checks change)."""
    global _ALL_RULES_PLAN
    made = _ALL_RULES_PLAN if chosen is None else chosen._plan
    if made is not None and made[0] is _CHECKS and made[1] == len(_CHECKS):
        return made[2]
    registered = checks()
    wanted = tuple(c for c in registered if chosen is None or any(chosen.wanted(r) for r in c.rules))
    made = (_CHECKS, len(_CHECKS), wanted, {})      # {}: the plans per message class
    if chosen is None:
        _ALL_RULES_PLAN = made
    else:
        chosen._plan = made
    return wanted


PLANS_KEPT = 4096           # message classes whose check lists a plan remembers


def _class_plan(wanted: tuple[Check, ...], plans: dict, message: Message, spec_set: SpecSet) -> tuple[Check, ...]:
    """The checks of `wanted` that may apply to the class of `message` (a decoded one),
    worked out once per class and kept in `plans` (the selector's, or the one for all rules)."""
    m = message.inner if message.inner is not None else message
    key = (m.message_code, m.cra_flag, m.payload_type, spec_set)
    found = plans.get(key)
    if found is None:
        if len(plans) >= PLANS_KEPT:
            plans.clear()
        cls = MessageClass(*key[:3])
        found = plans[key] = tuple(c for c in wanted if c.applies is None or c.applies(cls, spec_set))
    return found


def check(data: bytes, message: Message | None, error: GbcsError | None, keystore=None, *,
          acb: bytes | str | None = None, selector: RuleSelector | None = None,
          source: str | None = None) -> Validation:
    """Integrity and findings for bytes already decoded (or not) by the caller.

    Raises KeystoreError only when a key file cannot be used; every problem of the message
    itself is a finding."""
    result = Validation(data, message, error, source=source)
    found: list[Finding] = [from_error(error)] if error is not None else []
    integrity, failure = integrity_of(data, message, keystore, acb=acb, decode_failed=error is not None)
    result.integrity = integrity
    if failure:
        found.extend(failure)
    spec_set = specs()
    ctx = Context(data, message, error, integrity, keystore, spec_set)
    planned = _plan(selector)
    if message is not None:
        made = _ALL_RULES_PLAN if selector is None else selector._plan
        planned = _class_plan(planned, made[3], message, spec_set)
    for c in planned:
        needs = c.needs
        if (needs == "message" and message is None) or (needs == "integrity" and integrity is None):
            continue
        got = _run(c, ctx)
        if got:
            found.extend(got)
    result.findings = found if selector is None or not found else [f for f in found if selector.wanted(f.rule)]
    return result


def integrity_of(data: bytes, message: Message | None, keystore=None, *, acb: bytes | str | None = None,
                 decode_failed: bool = False) -> tuple[object | None, list[Finding]]:
    """(gbcs.crypto.Integrity or None, findings) for bytes decoded (or not) by the caller: the
    signature, MAC and decryption part of check(), without the rule checks (what `gbcs decode`
    shows). None when there is no envelope to check; a crash of the crypto layer is a finding.
    `decode_failed`: the caller's full decode of `data` failed (it is not tried again).
    Raises KeystoreError only when a key file cannot be used."""
    import gbcs.crypto          # check_integrity looked up at each call (tests replace it)
    try:
        if message is None and decode_failed:      # the envelope alone is read
            return gbcs.crypto.check_integrity(data, keystore, acb=acb, undecodable=True), []
        return gbcs.crypto.check_integrity(message if message is not None else data, keystore, acb=acb), []
    except DecodeError:
        return None, []                       # no envelope to check: the decode finding says why
    except KeystoreError:
        raise                                 # a key file that cannot be used: the caller's problem
    except Exception as exc:   # noqa: BLE001 - a bug in the crypto layer is a finding, never a crash
        return None, [finding("GBCS-D999", f"the signature/MAC check failed unexpectedly ({type(exc).__name__}: "
                                           f"{exc}); nothing was verified — please report this with the input")]


def _run(c: Check, ctx: Context) -> list[Finding]:
    try:
        return list(c.function(ctx))
    except Exception as exc:   # noqa: BLE001 - a broken check is reported under its rule, not raised
        return [finding(c.rules[0], f"the check {c.name} failed ({type(exc).__name__}: {exc}); "
                                    "the rule could not be evaluated — please report this with the input")]


def _decoded(data: bytes) -> tuple[Message | None, GbcsError | None]:
    try:
        return decode(data), None
    except GbcsError as exc:
        return None, exc


def validate(data: bytes, keystore=None, *, acb: bytes | str | None = None,
             select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Validation:
    """Decode `data` and check it. Never raises for bad messages: everything is a finding.

    `select` / `ignore` take rule ids, id prefixes or topics (ValueError for unknown words);
    a malformed `acb` is a KeystoreError."""
    if acb is not None:
        _check_acb(acb)
    message, error = _decoded(bytes(data))
    return check(bytes(data), message, error, keystore, acb=acb, selector=selector(select, ignore))


def validate_many(messages: Iterable, keystore=None, *, acb: bytes | str | None = None,
                  select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> Iterator[Validation]:
    """validate() over a stream, one result per message, lazily (constant memory).

    Items are bytes, or objects with `.data` and `.source` (gbcs.io.inputs.InputMessage);
    an item whose data could not be read becomes a result with its error as a finding."""
    if acb is not None:
        _check_acb(acb)
    chosen = selector(select, ignore)
    for item in messages:
        if isinstance(item, (bytes, bytearray, memoryview)):
            data, source, failure = bytes(item), None, None
        else:
            data, source, failure = item.data, getattr(item, "source", None), getattr(item, "error", None)
        if data is None:
            error = failure or GbcsError("the input could not be read")
            result = Validation(b"", None, error, source=source, findings=[from_error(error)])
            if chosen is not None:
                result.findings = [f for f in result.findings if chosen.wanted(f.rule)]
            yield result
            continue
        message, error = _decoded(data)
        yield check(data, message, error, keystore, acb=acb, selector=chosen, source=source)


def _check_acb(acb: bytes | str) -> None:
    from gbcs.crypto.eui import normalise_eui
    normalise_eui(acb)
