"""Certificate rules on messages: every X.509 certificate a GBCS message carries (CS02 payloads,
CS03 join commands, the KA certificate in other-information) is linted as gbcs.smki does, and
its findings become findings on the message, at the certificate's offset and field path."""
from __future__ import annotations

import dataclasses
import weakref

from gbcs.rules import rules
from gbcs.validate.engine import Context, rule_check

CERTIFICATE_RULES = tuple(r.id for r in rules().values() if r.topic == "certificate")

# keystore -> (entry count, its certificates parsed): parsed once, not once per message
_PARSED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _keystore_certificates(keystore) -> list:
    if keystore is None:
        return []
    from cryptography.hazmat.primitives import serialization
    from gbcs.errors import CertificateError
    from gbcs.smki import parse_der
    cached = _PARSED.get(keystore)
    if cached is not None and cached[0] == len(keystore):
        return cached[1]
    parsed = []
    for entry in keystore:
        if getattr(entry, "certificate", None) is None:
            continue
        try:
            parsed.append(parse_der(entry.certificate.public_bytes(serialization.Encoding.DER), entry.source))
        except CertificateError:
            continue                  # linted where the keystore itself is linted
    _PARSED[keystore] = (len(keystore), parsed)
    return parsed


@rule_check(*CERTIFICATE_RULES, needs="message")
def certificates_in_message(ctx: Context):
    from gbcs.errors import CertificateError
    from gbcs.smki import lint_certificate, parse_der
    from gbcs.smki.chain import IssuerPool
    from gbcs.smki.facts import message_certificate_usages
    usages = message_certificate_usages()
    for message, prefix in ((ctx.message, ""), (ctx.message.inner, "reassembled:")):
        if message is None:
            continue
        found = [(path, node) for path, node in message.root.walk()
                 if not node.is_leaf and node.get("tbs_certificate") is not None]
        if not found:
            continue
        candidates = list(_keystore_certificates(ctx.keystore))
        for _, node in found:
            try:
                candidates.append(parse_der(message.data[node.start:node.end]))
            except CertificateError:
                continue
        pool = IssuerPool(candidates)
        for path, node in found:
            usage = next((u for suffix, u in usages.items() if path.endswith(suffix)), None)
            # offsets inside GBT-reassembled content count from the start of the reassembled message
            result = lint_certificate(message.data[node.start:node.end], issuers=pool, expected_usage=usage,
                                      source=path, offset=node.start, field_prefix=prefix + path)
            for f in result.findings:
                yield _carried(f)


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
