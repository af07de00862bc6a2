"""Certificates from files, directories and DCC Boxed keystore JSON, linted together.

Keystore consistency: a file named `<eui>[-pp]-ds|ka.pem` (the RTDS layout) or a keystore.json
entry says which entity and key usage its certificate must be for; those expectations go into
the EUI and key-usage rules. The same certificate filed twice (GBCS-X501) and a private key
that does not belong to its certificate (GBCS-X502) are reported too.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from cryptography.hazmat.primitives import serialization

from gbcs.errors import CertificateError, KeystoreError
from gbcs.findings import finding
from gbcs.smki.chain import IssuerPool
from gbcs.smki.facts import Environment
from gbcs.smki.lint import CertificateLint, lint_parsed
from gbcs.smki.parse import Certificate, certificate_blobs, parse_der

MAX_FILE_BYTES = 1 << 20
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
_RTDS_NAME = re.compile(r"^([0-9A-Fa-f]{16})(-pp)?-(ds|ka)\.pem$")


@dataclass
class CertificateInput:
    source: str
    der: bytes | None
    problem: str | None = None
    expected_eui: bytes | None = None
    expected_usage: str | None = None
    private_key: object | None = None          # a loader returning the private key, when one is filed beside
    expected_role: int | None = None           # the role a DCC Boxed keystore entry names


def _read(path: Path) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CertificateError(f"{path}: larger than {MAX_FILE_BYTES} bytes; not a certificate file")
    return data


def _private_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), None)


def _file_inputs(path: Path) -> Iterator[CertificateInput]:
    m = _RTDS_NAME.match(path.name)
    eui = bytes.fromhex(m.group(1)) if m else None
    usage = m.group(3).lower() if m else None
    key_path = path.with_suffix(".key")
    loader = functools.partial(_private_key, key_path) if m and key_path.is_file() else None
    try:
        data = _read(path)
    except (OSError, CertificateError) as exc:
        yield CertificateInput(str(path), None, getattr(exc, "message", None) or f"cannot read ({exc})")
        return
    blobs = certificate_blobs(data)
    for i, (der, why) in enumerate(blobs):
        source = str(path) if len(blobs) == 1 else f"{path}#{i + 1}"
        yield CertificateInput(source, der, why, eui, usage, loader)


def _keystore_inputs(path: Path) -> Iterator[CertificateInput]:
    from gbcs.crypto.keystore import Keystore
    ks = Keystore()
    try:
        ks.add_json(path)
    except KeystoreError as exc:
        yield CertificateInput(str(path), None, exc.message)
        return
    for entry in ks:
        if entry.certificate is None:
            continue
        label = f"{entry.source} ({entry.name})" if entry.name else entry.source
        loader = entry.private_key if entry.has_private else None
        yield CertificateInput(label, entry.certificate.public_bytes(serialization.Encoding.DER), None,
                               entry.eui, entry.usage, loader, entry.role)


def iter_certificate_inputs(paths: Iterable[str | os.PathLike]) -> Iterator[CertificateInput]:
    """Every certificate (or not-a-certificate) in files, directories and keystore JSON files."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                if f.suffix.lower() == ".json":
                    yield from _keystore_inputs(f)
                elif f.suffix.lower() in CERTIFICATE_SUFFIXES:
                    yield from _file_inputs(f)
        elif path.suffix.lower() == ".json":
            yield from _keystore_inputs(path)
        elif path.exists():
            yield from _file_inputs(path)
        else:
            yield CertificateInput(str(path), None, "no such file or directory")


def load_certificates(paths: Iterable[str | os.PathLike]) -> list[Certificate]:
    """The parsable certificates among these paths (CA certificates given with --ca)."""
    out = []
    for item in iter_certificate_inputs(paths):
        if item.der is not None:
            try:
                out.append(parse_der(item.der, item.source))
            except CertificateError:
                continue
    return out


def lint_paths(paths: Iterable[str | os.PathLike], profile: str | None = None, *,
               environment: Environment | None = None, ca_paths: Iterable[str | os.PathLike] = ()) -> list[CertificateLint]:
    """Lint every certificate found; each chains against the others and the --ca certificates."""
    env = environment or Environment.named("test")
    items: list[tuple[CertificateInput, Certificate | None, CertificateError | None]] = []
    for item in iter_certificate_inputs(paths):
        if item.der is None:
            items.append((item, None, CertificateError(item.problem or "not a certificate")))
            continue
        try:
            items.append((item, parse_der(item.der, item.source), None))
        except CertificateError as exc:
            items.append((item, None, exc))
    pool = IssuerPool([c for _, c, _ in items if c is not None] + load_certificates(ca_paths))
    filed: dict[bytes, list[str]] = {}
    for item, cert, _ in items:
        if cert is not None:
            filed.setdefault(cert.der, []).append(item.source)
    results = []
    for item, cert, error in items:
        if cert is None:
            results.append(CertificateLint(item.source, findings=[
                finding("GBCS-X000", error.message, error.offset, error.field)]))
            continue
        result = lint_parsed(cert, profile, environment=env, issuers=pool, expected_eui=item.expected_eui,
                             expected_usage=item.expected_usage, expected_role=item.expected_role,
                             source=item.source)
        others = [s for s in filed[cert.der] if s != item.source]
        if others:
            result.findings.append(finding("GBCS-X501", f"the same certificate is also filed as {', '.join(others)}; "
                                           "at most one of these names can be right"))
        result.findings.extend(_key_pair_findings(item, cert))
        results.append(result)
    return results


def _key_pair_findings(item: CertificateInput, cert: Certificate):
    if item.private_key is None:
        return []
    try:
        key = item.private_key()
        mine = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception as exc:  # noqa: BLE001 - any unreadable key is reported, never raised
        return [finding("GBCS-X502", f"the private key filed with this certificate cannot be read "
                        f"({type(exc).__name__}); check the .key file")]
    if mine != cert.spki.der:
        return [finding("GBCS-X502", "the private key filed with this certificate belongs to another public key")]
    return []
