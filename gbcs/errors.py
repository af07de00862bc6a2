"""The one exception hierarchy of gbcs. Imports nothing else from gbcs.

GbcsError
├── SpecError ─ SpecSyntaxError, SpecReferenceError        .file .line .column .expected
├── DecodeError(GbcsError, ValueError)                     .offset .field .rule .expected .actual
│   ├── TruncatedError(DecodeError, EOFError)              .needed .available
│   ├── LengthError
│   ├── ConstraintError
│   └── UnknownCodeError(DecodeError, LookupError)
├── EncodeError(GbcsError, ValueError)
├── KeystoreError(GbcsError, LookupError)
├── CertificateError(GbcsError, ValueError)               .offset .field .rule (not a certificate)
├── InputError
├── NotFoundError(GbcsError, LookupError)                     a look-up key no table holds
└── DuisError                                           .rule
    ├── DuisXmlRefused                                   .reason
    ├── DuisSchemaError
    └── DuisSigningError
"""
from __future__ import annotations


class GbcsError(Exception):
    """Root of every error gbcs raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, "message": self.message}


class SpecError(GbcsError):
    """A specification file under specs/ is wrong: says where and what was expected."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, expected: str | None = None):
        self.file, self.line, self.column, self.expected = file, line, column, expected
        where = f"{file}:{line}:{column}: " if file is not None else ""
        super().__init__(where + message)
        self.detail = message


class SpecSyntaxError(SpecError):
    """The spec text does not follow grammars/gbspec.lark."""


class SpecReferenceError(SpecError):
    """A spec names something (a schema, an enum, a field) that does not exist, or twice."""


class DecodeError(GbcsError, ValueError):
    """Bytes that do not form a valid message. Always carries where and in which field."""

    rule = "GBCS-D000"

    def __init__(self, message: str, offset: int, field: str, *, rule: str | None = None,
                 expected: object = None, actual: object = None):
        self.offset = offset
        self.field = field
        if rule is not None:
            self.rule = rule
        self.expected, self.actual = expected, actual
        super().__init__(message)

    def __str__(self) -> str:
        return f"at offset {self.offset} (0x{self.offset:X}) in {self.field}: {self.message} [{self.rule}]"

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, "message": self.message, "offset": self.offset,
                "field": self.field, "rule": self.rule}


class TruncatedError(DecodeError, EOFError):
    """The input ends before a field it announces."""

    rule = "GBCS-D001"

    def __init__(self, message: str, offset: int, field: str, *, needed: int, available: int,
                 rule: str | None = None):
        self.needed, self.available = needed, available
        super().__init__(message, offset, field, rule=rule, expected=needed, actual=available)


class LengthError(DecodeError):
    """A length or count field disagrees with the bytes present."""

    rule = "GBCS-D002"


class ConstraintError(DecodeError):
    """A field holds a value the specification does not allow there."""

    rule = "GBCS-D003"


class UnknownCodeError(DecodeError, LookupError):
    """A tag, choice or code that no spec table defines."""

    rule = "GBCS-D004"


class EncodeError(GbcsError, ValueError):
    """A message tree that cannot be turned back into bytes."""


class KeystoreError(GbcsError, LookupError):
    """A keystore that cannot be read, or a key that is not in it."""


class CertificateError(GbcsError, ValueError):
    """Bytes that are not an X.509 certificate (a key, garbage, hostile DER): says where and why."""

    rule = "GBCS-X000"

    def __init__(self, message: str, offset: int | None = None, field: str | None = None):
        self.offset, self.field = offset, field
        super().__init__(message)


class InputError(GbcsError):
    """A user input (file, line, XML element) that holds no readable message."""

    rule = "GBCS-D008"

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        super().__init__(message)


class NotFoundError(GbcsError, LookupError):
    """A code, use case or other key that no spec table holds (a look-up, not a decode)."""


class DuisError(GbcsError):
    """A DUIS document, schema folder or signing request that cannot be handled."""

    rule = "GBCS-U001"


class DuisXmlRefused(DuisError):
    """XML refused before any check: malformed, oversized, too deep, or using DTDs, entities or XInclude.

    `reason` is a short stable word (malformed, doctype, entity, xinclude, size, depth, empty) tests
    and programs can match on.
    """

    def __init__(self, message: str, reason: str):
        self.reason = reason
        super().__init__(message)


class DuisSchemaError(DuisError):
    """The DUIS XSDs cannot be found or loaded: validation fails closed, it is never skipped silently."""


class DuisSigningError(DuisError):
    """A document cannot be signed: no key material for the signer, or the signer is not the originator."""
