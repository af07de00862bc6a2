"""Certificate rules on messages: every X.509 certificate a GBCS message carries (CS02 payloads,
CS03 join commands, the KA certificate in other-information) is linted as gbcs.smki does, and
its findings become findings on the message, at the certificate's offset and field path."""
from __future__ import annotations

from gbcs.rules import rules
from gbcs.validate.engine import Context, rule_check

CERTIFICATE_RULES = tuple(r.id for r in rules().values() if r.topic == "certificate")


def _keystore_certificates(keystore) -> list:
    if keystore is None:
        return []
    return [entry.certificate for entry in keystore if getattr(entry, "certificate", None) is not None]


@rule_check(*CERTIFICATE_RULES, needs="message")
def certificates_in_message(ctx: Context):
    from gbcs.errors import CertificateError
    from gbcs.smki import lint_certificate, parse_der
    from gbcs.smki.facts import message_certificate_usages
    usages = message_certificate_usages()
    for message, prefix in ((ctx.message, ""), (ctx.message.inner, "reassembled:")):
        if message is None:
            continue
        found = [(path, node) for path, node in message.root.walk()
                 if not node.is_leaf and node.get("tbs_certificate") is not None]
        pool = list(_keystore_certificates(ctx.keystore))
        for _, node in found:
            try:
                pool.append(parse_der(message.data[node.start:node.end]))
            except CertificateError:
                continue
        for path, node in found:
            usage = next((u for suffix, u in usages.items() if path.endswith(suffix)), None)
            # offsets inside GBT-reassembled content count from the start of the reassembled message
            result = lint_certificate(message.data[node.start:node.end], issuers=pool, expected_usage=usage,
                                      source=path, offset=node.start, field_prefix=prefix + path)
            yield from result.findings
