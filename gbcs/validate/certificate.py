"""Certificate rules on messages: every X.509 certificate a GBCS message carries (CS02 payloads,
CS03 join commands, the KA certificate in other-information) is linted as gbcs.smki does, and
its findings become findings on the message, at the certificate's offset and field path."""
from __future__ import annotations

import dataclasses
import weakref
from collections import OrderedDict

from gbcs.rules import rules
from gbcs.validate.engine import Context, rule_check
from gbcs.validate.facts import path_of, scan_tree

CERTIFICATE_RULES = tuple(r.id for r in rules().values() if r.topic == "certificate")


class _KeystoreIssuers:
    """A keystore's certificates as issuer candidates, parsed (gbcs.smki, ~1 ms each) only when a
    look-up may find them: indexed by subjectKeyIdentifier (as the keystore's `cryptography`
    objects read it) and by subject name values (read from the DER); the parsed candidates then
    decide, as one IssuerPool of every keystore certificate would. A certificate that cannot be
    indexed here is a candidate for every look-up."""

    def __init__(self, keystore) -> None:
        from cryptography import x509
        self.entries = [e for e in keystore if getattr(e, "certificate", None) is not None]
        self.size = len(keystore)
        self._parsed: dict[int, object] = {}
        self._by_ski: dict[bytes, list[int]] = {}
        self._by_name: dict[tuple, list[int]] = {}
        self._unsure_ski: list[int] = []      # unreadable here: always a candidate
        self._unsure_name: list[int] = []
        for i, e in enumerate(self.entries):
            try:
                ski = e.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
                self._by_ski.setdefault(ski, []).append(i)
            except x509.ExtensionNotFound:
                pass
            except Exception:   # noqa: BLE001 - whatever cryptography rejects, gbcs.smki judges
                self._unsure_ski.append(i)
            try:
                self._by_name.setdefault(_subject_name_key(e.certificate.tbs_certificate_bytes), []).append(i)
            except Exception:   # noqa: BLE001 - as above
                self._unsure_name.append(i)

    def _parse(self, i: int):
        if i not in self._parsed:
            from cryptography.hazmat.primitives import serialization
            from gbcs.errors import CertificateError
            from gbcs.smki import parse_der
            entry = self.entries[i]
            try:
                self._parsed[i] = parse_der(entry.certificate.public_bytes(serialization.Encoding.DER), entry.source)
            except CertificateError:
                self._parsed[i] = None        # linted where the keystore itself is linted
        return self._parsed[i]

    def _parsed_of(self, indices: list[int]) -> list:
        return [c for c in map(self._parse, sorted(set(indices))) if c is not None]

    def by_key(self, key: bytes) -> list:
        from gbcs.smki.chain import IssuerPool
        candidates = self._parsed_of(self._by_ski.get(key, []) + self._unsure_ski)
        return IssuerPool(candidates).by_key.get(key, [])        # gbcs.smki decides

    def by_name(self, names: tuple) -> list:
        from gbcs.smki.chain import IssuerPool
        candidates = self._parsed_of(self._by_name.get(names, []) + self._unsure_name)
        return IssuerPool(candidates).by_name.get(names, [])     # gbcs.smki decides


def _subject_name_key(tbs: bytes) -> tuple:
    """The subject Name of a DER TBSCertificate as gbcs.smki.chain compares names: per RDN, its
    (dotted OID, value bytes as latin-1) pairs sorted. Raises on anything but plain DER."""
    from gbcs.crypto.keystore import _der_items
    from gbcs.payload.asn1 import _oid_text
    (_, content), = _der_items(tbs)
    fields = list(_der_items(content))
    if fields[0][0] == 0xA0:              # [0] version
        fields = fields[1:]
    subject = fields[4][1]                # serialNumber, signature, issuer, validity, subject
    key = []
    for _, rdn in _der_items(subject):
        pairs = []
        for _, attribute in _der_items(rdn):
            (_, oid), (_, value) = _der_items(attribute)
            pairs.append((_oid_text(oid), value.decode("latin-1")))
        key.append(tuple(sorted(pairs)))
    return tuple(key)


class _Index:
    """The look-up IssuerPool.find makes (`.get(key, default)`): the keystore's candidates first,
    then the message's own certificates — the order of one pool built from both."""

    def __init__(self, keystore_side, carried: dict) -> None:
        self.keystore_side, self.carried = keystore_side, carried

    def get(self, key, default=None):
        found = (self.keystore_side(key) if self.keystore_side is not None else []) + self.carried.get(key, [])
        return found or default


# keystore -> its _KeystoreIssuers (rebuilt when entries are added)
_ISSUERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _issuer_pool(keystore, carried: list):
    """An IssuerPool of the keystore's certificates and the message's, as IssuerPool(keystore's +
    carried) would be, without parsing every keystore certificate for every message.
    `pool.identity` names what it was made from (the keystore's side and the carried DER)."""
    from gbcs.smki.chain import IssuerPool
    side = None
    if keystore is not None:
        side = _ISSUERS.get(keystore)
        if side is None or side.size != len(keystore):
            side = _ISSUERS[keystore] = _KeystoreIssuers(keystore)
    pool = IssuerPool(carried)
    pool.by_key = _Index(side.by_key if side else None, pool.by_key)
    pool.by_name = _Index(side.by_name if side else None, pool.by_name)
    pool.identity = (side, tuple(c.der for c in carried))
    return pool


# Captures carry the same certificates again and again: each is parsed and linted once per
# (certificate, expected usage, issuer found), and its findings placed at each message's offset.
# A parsed certificate takes ~40 KiB, its findings a few hundred bytes: the caches stay small.
_PARSED_SIZE, _LINTED_SIZE, _FOUND_SIZE = 128, 1024, 1024
_PARSED: "OrderedDict[bytes, object]" = OrderedDict()
_LINTED: "OrderedDict[tuple, list]" = OrderedDict()
# (certificate, the pool's identity) -> (issuer, how found): finding the issuer reads the
# certificate's extensions again (~0.15 ms), and the same pools come back message after message
_FOUND: "OrderedDict[tuple, tuple]" = OrderedDict()


def _recall(cache: OrderedDict, key):
    """The cached value (now the most recently used), or None."""
    value = cache.get(key)
    if value is not None:
        cache.move_to_end(key)
    return value


def _remember(cache: OrderedDict, key, value, size: int):
    cache[key] = value
    if len(cache) > size:
        cache.popitem(last=False)           # the least recently used
    return value


def _parsed(der: bytes):
    """The certificate parsed by gbcs.smki, or its bytes when it does not parse (lint says why)."""
    from gbcs.errors import CertificateError
    from gbcs.smki import parse_der
    known = _recall(_PARSED, der)
    if known is None:
        try:
            known = parse_der(der)
        except CertificateError:
            known = der
        _remember(_PARSED, der, known, _PARSED_SIZE)
    return known


_ROOT = "certificate"        # the field path gbcs.smki gives a certificate's own elements


def _lint_findings(subject, pool, usage: str | None, offset: int, field: str) -> list:
    """lint_certificate(subject, ...).findings at `offset` and under `field`, from the cache when
    this certificate was linted with the same usage and issuer before."""
    from gbcs.smki import lint_certificate
    if isinstance(subject, bytes):
        return lint_certificate(subject, issuers=pool, expected_usage=usage, source=field, offset=offset,
                                field_prefix=field).findings
    found_key = (subject.der, pool.identity)
    issuer_how = _recall(_FOUND, found_key)
    if issuer_how is None:
        issuer_how = _remember(_FOUND, found_key, pool.find(subject), _FOUND_SIZE)
    issuer, how = issuer_how
    key = (subject.der, usage, issuer.der if issuer is not None else None, how)
    found = _recall(_LINTED, key)
    if found is None:
        # linted at offset 0 under the certificate's own path: placed below for each message
        found = _remember(_LINTED, key, lint_certificate(subject, issuers=pool, expected_usage=usage, offset=0,
                                                         field_prefix=_ROOT).findings, _LINTED_SIZE)
    return [dataclasses.replace(f, offset=None if f.offset is None else f.offset + offset,
                                field=None if f.field is None else field + f.field[len(_ROOT):]) for f in found]


@rule_check(*CERTIFICATE_RULES, needs="message")
def certificates_in_message(ctx: Context):
    for message, prefix in ((ctx.message, ""), (ctx.message.inner, "reassembled:")):
        if message is None:
            continue
        # one cheap scan first: almost no message carries a certificate
        if not (ctx.scan if message is ctx.message else scan_tree(message.root)).carries_certificate:
            continue
        from gbcs.smki.facts import message_certificate_usages
        found = [(path_of(message.root, node), node) for node in _holders_of_tbs(message.root)]
        if not found:
            continue
        usages = message_certificate_usages()
        # each carried certificate parsed once: an issuer candidate and the certificate linted
        subjects = [_parsed(message.data[node.start:node.end]) for _, node in found]
        pool = _issuer_pool(ctx.keystore, [c for c in subjects if not isinstance(c, bytes)])
        for (path, node), subject in zip(found, subjects):
            usage = next((u for suffix, u in usages.items() if path.endswith(suffix)), None)
            # offsets inside GBT-reassembled content count from the start of the reassembled message
            for f in _lint_findings(subject, pool, usage, node.start, prefix + path):
                yield _carried(f)


def _holders_of_tbs(root):
    """The groups with a child called tbs_certificate (the certificates), in byte order."""
    from gbcs.validate.facts import nodes_named, parent_of
    if root.tape is None:
        return [node for node in root.descendants() if not node.is_leaf and node.get("tbs_certificate") is not None]
    parents = {}
    for tbs in nodes_named(root, _is_tbs):
        if tbs.row > root.row:
            parent = parent_of(root, tbs)
            parents.setdefault(parent.row, parent)
    return [parents[row] for row in sorted(parents)]


def _is_tbs(name: str) -> bool:
    return name == "tbs_certificate"


def _carried(f):
    """A certificate's breach is not the carrying message's: the message is well formed, and
    the receiving device must refuse the certificate (RTDS's CS02d ERROR scenario carries one
    on purpose). So on a message an error becomes a warning, and --strict still fails it;
    `gbcs cert lint` reports the certificate itself at full severity."""
    if f.severity != "error":
        return f
    return dataclasses.replace(f, severity="warning",
                               message=f"carried certificate: {f.message} (an error for `gbcs cert lint`; "
                                       "the receiving device must reject this certificate)")
