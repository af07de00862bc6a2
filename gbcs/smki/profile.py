"""Which SMKI profile a certificate follows, read from the certificate itself.

keyCertSign or cA TRUE: a CA (root when its role OU is 00, or it is self-issued without an OU).
A hardwareModuleName subjectAltName or an empty subject: a device. A subject OU or
uniqueIdentifier: an organisation. DS or KA from the key usage, else the expected usage.
"""
from __future__ import annotations

from gbcs.errors import GbcsError
from gbcs.smki.facts import profile_for, profiles, role_code
from gbcs.smki.parse import Certificate


def family_of(cert: Certificate) -> str | None:
    bits = cert.key_usage_bits or set()
    if "key_cert_sign" in bits or cert.ca_flag:
        return "ca"
    if cert.hardware_module_names or not cert.subject.content:
        return "device"
    if cert.subject_attributes("organizational_unit_name") or cert.subject_attributes("x500_unique_identifier"):
        return "organisation"
    return None


def detect_profile(cert: Certificate, expected_usage: str | None = None) -> str | None:
    family = family_of(cert)
    if family is None:
        return None
    if family == "ca":
        ous = cert.subject_attributes("organizational_unit_name")
        if ous:
            return "root" if ous[0].value.text == f"{role_code('root'):02X}" else "issuing-ca"
        return "root" if cert.self_issued else "issuing-ca"
    bits = cert.key_usage_bits or set()
    if bits == {"digital_signature"}:
        usage = "ds"
    elif bits == {"key_agreement"}:
        usage = "ka"
    elif expected_usage in ("ds", "ka"):
        usage = expected_usage
    else:
        usage = "ka" if "key_agreement" in bits else "ds"
    return profile_for(family, usage)


def check_profile_name(name: str) -> str:
    if name not in profiles():
        raise GbcsError(f"no SMKI profile called {name!r}; choose one of {', '.join(profiles())}")
    return name
