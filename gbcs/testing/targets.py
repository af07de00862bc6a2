"""Fuzz targets: what must hold for ANY input bytes, checked in-process.

decode:   gbcs.decode returns a Message that encodes back to the same bytes, or raises a
          GbcsError (a DecodeError with an offset inside the input, never the internal-error
          rule) — nothing else.
validate: gbcs.validate never raises, and reports a decode failure as a finding.
cert:     the SMKI certificate linter (gbcs.smki) never raises for any DER; without it, the
          certificate path of the DER decoder (gbcs.payload.asn1.decode_der as Certificate).
A broken invariant raises InvariantBroken; anything else a target raises is a bug as well.
A target returns the behaviours it saw (field paths, error rules): the mutation engine's
coverage signal when atheris is not there.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from gbcs.errors import DecodeError, GbcsError

_INDEX = re.compile(r"\[\d+\]")


def _tree_features(message) -> set[str]:
    return {_INDEX.sub("[]", path) for path, _ in message.root.walk()}


def _error_feature(exc: GbcsError) -> str:
    field = _INDEX.sub("[]", str(getattr(exc, "field", "") or ""))
    return f"{type(exc).__name__}:{getattr(exc, 'rule', '')}:{field}"


class InvariantBroken(AssertionError):
    """The target's contract does not hold for an input."""


def check_decode(data: bytes) -> Iterable[str]:
    import gbcs
    try:
        message = gbcs.decode(data)
    except DecodeError as exc:
        if exc.offset is not None and not 0 <= exc.offset <= len(data):
            raise InvariantBroken(f"DecodeError offset {exc.offset} outside the {len(data)}-byte input: {exc}")
        if exc.rule == "GBCS-D999":
            raise InvariantBroken(f"the decoder failed internally: {exc}")
        return {_error_feature(exc)}
    except GbcsError as exc:
        return {_error_feature(exc)}
    if gbcs.encode(message) != data:
        raise InvariantBroken("decode/encode does not round-trip")
    return _tree_features(message)


def check_validate(data: bytes) -> Iterable[str]:
    import gbcs
    result = gbcs.validate(data)
    if result.error is not None and not any(f.topic == "decode" for f in result.findings):
        raise InvariantBroken("a decode failure was not reported as a finding")
    for f in result.findings:
        if f.rule == "GBCS-D999":
            raise InvariantBroken(f"internal error finding: {f.message}")
    seen = {f"{f.rule}:{_INDEX.sub('[]', f.field or '')}" for f in result.findings}
    if result.message is not None:
        seen |= _tree_features(result.message)
    return seen


def _cert_checker() -> Callable[[bytes], Iterable[str]]:
    import importlib
    try:
        smki = importlib.import_module("gbcs.smki")
    except ImportError:
        lint = None
    else:
        lint = getattr(smki, "lint_certificate", None)
    if lint is not None:
        def check(data: bytes) -> Iterable[str]:
            try:
                found = lint(data)
            except GbcsError as exc:
                return {_error_feature(exc)}
            return {str(getattr(f, "rule", f)) for f in (getattr(found, "findings", found) or ())}
        return check

    def check_der(data: bytes) -> Iterable[str]:
        from gbcs.message import Node
        from gbcs.payload.asn1 import decode_der
        from gbcs.wire.backend import Walker
        w = Walker(data, root=Node("certificate", 0, 0, children=[]))
        try:
            node = decode_der(w, "certificate", "Certificate")
        except GbcsError as exc:
            return {_error_feature(exc)}
        return {_INDEX.sub("[]", path) for path, _ in node.walk()}
    return check_der


TARGETS: dict[str, Callable[[], Callable[[bytes], Iterable[str]]]] = {
    "decode": lambda: check_decode,
    "validate": lambda: check_validate,
    "cert": _cert_checker,
}


def target(name: str) -> Callable[[bytes], Iterable[str]]:
    if name not in TARGETS:
        raise ValueError(f"unknown fuzz target {name!r}; choose one of {', '.join(TARGETS)}")
    return TARGETS[name]()
