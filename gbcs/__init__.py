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

__version__ = "0.1.0"


def lint_certificate(der_or_pem, profile=None, **options):
    """Lint one SMKI certificate (see gbcs.smki.lint_certificate): a CertificateLint whose
    findings name the certificate rules it breaks. Never raises for bad input."""
    from gbcs.smki import lint_certificate as lint    # loaded on first use: keeps `import gbcs` light
    return lint(der_or_pem, profile, **options)

__all__ = ["decode", "encode", "validate", "validate_many", "lint_certificate", "Validation", "Finding", "Message", "Node", "GbcsError", "DecodeError", "TruncatedError",
           "LengthError", "ConstraintError", "UnknownCodeError", "EncodeError", "SpecError",
           "SpecSyntaxError", "SpecReferenceError", "KeystoreError", "CertificateError", "InputError", "__version__"]
