"""gbcs: decode and validate GB smart-metering GBCS messages.

    >>> import gbcs
    >>> message = gbcs.decode(data)          # bytes -> Message tree, or a DecodeError
    >>> gbcs.encode(message) == data
    True
"""
from gbcs import backend as _backend

_backend.install()          # compiled twins of the decode path, unless GBCS_PURE_PYTHON=1

from gbcs.decoding import decode, encode  # noqa: E402
from gbcs.errors import (ConstraintError, DecodeError, EncodeError, GbcsError, InputError, KeystoreError,
                         LengthError, SpecError, SpecReferenceError, SpecSyntaxError, TruncatedError,
                         UnknownCodeError)
from gbcs.findings import Finding
from gbcs.message import Message, Node
from gbcs.validate import Validation, validate, validate_many

__version__ = "0.1.0"

__all__ = ["decode", "encode", "validate", "validate_many", "Validation", "Finding", "Message", "Node", "GbcsError", "DecodeError", "TruncatedError",
           "LengthError", "ConstraintError", "UnknownCodeError", "EncodeError", "SpecError",
           "SpecSyntaxError", "SpecReferenceError", "KeystoreError", "InputError", "__version__"]
