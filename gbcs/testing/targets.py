"""Fuzz targets: what must hold for ANY input bytes, checked in-process.

decode:   gbcs.decode returns a Message that encodes back to the same bytes, or raises a
          GbcsError (a DecodeError with an offset inside the input, never the internal-error
          rule) — nothing else.
validate: gbcs.validate never raises, and reports a decode failure as a finding.
cert:     the SMKI certificate linter (gbcs.smki) never raises for any DER; without it, the
          certificate path of the DER decoder (gbcs.payload.asn1.decode_der as Certificate).
A broken invariant raises InvariantBroken; anything else a target raises is a bug as well.
"""
from __future__ import annotations

from typing import Callable

from gbcs.errors import DecodeError, GbcsError


class InvariantBroken(AssertionError):
    """The target's contract does not hold for an input."""


def check_decode(data: bytes) -> None:
    import gbcs
    try:
        message = gbcs.decode(data)
    except DecodeError as exc:
        if exc.offset is not None and not 0 <= exc.offset <= len(data):
            raise InvariantBroken(f"DecodeError offset {exc.offset} outside the {len(data)}-byte input: {exc}")
        if exc.rule == "GBCS-D999":
            raise InvariantBroken(f"the decoder failed internally: {exc}")
        return
    except GbcsError:
        return
    if gbcs.encode(message) != data:
        raise InvariantBroken("decode/encode does not round-trip")


def check_validate(data: bytes) -> None:
    import gbcs
    result = gbcs.validate(data)
    if result.error is not None and not any(f.topic == "decode" for f in result.findings):
        raise InvariantBroken("a decode failure was not reported as a finding")
    for f in result.findings:
        if f.rule == "GBCS-D999":
            raise InvariantBroken(f"internal error finding: {f.message}")


def _cert_checker() -> Callable[[bytes], None]:
    try:
        from gbcs import smki  # type: ignore[attr-defined]
    except ImportError:
        smki = None
    lint = getattr(smki, "lint", None) if smki is not None else None
    if lint is not None:
        def check(data: bytes) -> None:
            try:
                lint(data)
            except GbcsError:
                return
        return check

    def check_der(data: bytes) -> None:
        from gbcs.payload.asn1 import decode_der
        try:
            decode_der(data, "certificate", "Certificate")
        except GbcsError:
            return
    return check_der


TARGETS: dict[str, Callable[[], Callable[[bytes], None]]] = {
    "decode": lambda: check_decode,
    "validate": lambda: check_validate,
    "cert": _cert_checker,
}


def target(name: str) -> Callable[[bytes], None]:
    if name not in TARGETS:
        raise ValueError(f"unknown fuzz target {name!r}; choose one of {', '.join(TARGETS)}")
    return TARGETS[name]()
