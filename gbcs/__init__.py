"""gbcs: decode and validate GB smart-metering GBCS messages.

    >>> import gbcs
    >>> message = gbcs.decode(data)          # bytes -> Message tree, or a DecodeError
    >>> gbcs.encode(message) == data
    True
"""
from gbcs.decoding import decode, encode
from gbcs.errors import (CertificateError, ConstraintError, DecodeError, EncodeError, GbcsError, InputError, KeystoreError,
                         LengthError, SpecError, SpecReferenceError, SpecSyntaxError, TruncatedError,
                         UnknownCodeError)
from gbcs.findings import Finding
from gbcs.message import Message, Node
from gbcs.validate import Validation, validate, validate_many
from gbcs.smki import lint_certificate

__version__ = "0.1.0"

__all__ = ["decode", "encode", "validate", "validate_many", "lint_certificate", "Validation", "Finding", "Message", "Node", "GbcsError", "DecodeError", "TruncatedError",
           "LengthError", "ConstraintError", "UnknownCodeError", "EncodeError", "SpecError",
           "SpecSyntaxError", "SpecReferenceError", "KeystoreError", "CertificateError", "InputError", "__version__"]
