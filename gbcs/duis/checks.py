"""The checks the DUIS XSD cannot express (duis-notes §2): RequestID structure and parties,
variant, body, command variant, target, schemaVersion, decimals and future dating."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterator

from gbcs.crypto.keystore import normalise_eui
from gbcs.duis.document import DuisDocument, eui_text
from gbcs.duis.parsing import local_name
from gbcs.duis.variants import Variant, duis_facts
from gbcs.findings import Finding, finding

SIGNED_CVS = frozenset({5, 6, 7})


def structure_findings(doc: DuisDocument, *, dcc_eui: bytes | None = None) -> list[Finding]:
    """Findings of every structural rule for one document (requests get the full set)."""
    return list(_structure(doc, dcc_eui))


def _structure(doc: DuisDocument, dcc_eui: bytes | None) -> Iterator[Finding]:
    facts = duis_facts()
    version = facts.constant("schema_version")
    if doc.schema_version is not None and doc.schema_version.strip() != version:
        yield finding("GBCS-U009", f"schemaVersion is {doc.schema_version.strip()!r}; these checks describe "
                      f"DUIS {version}", field="schemaVersion")
    for label, text, problem in (("RequestID", doc.request_id_text, doc.request_id_problem),
                                 ("ResponseID", doc.response_id_text, doc.response_id_problem)):
        if problem:
            yield finding("GBCS-U007", f"{label} {text!r}: {problem}", field=f"Header/{label}")
    if doc.kind == "Request" and doc.request_id_text is None:
        yield finding("GBCS-U007", "the request has no RequestID", field="Header/RequestID")
    srv = doc.service_reference_variant
    variant = facts.variants.get(srv) if srv else None
    if srv and variant is None:
        yield finding("GBCS-U003", f"ServiceReferenceVariant {srv!r} is not a DUIS V5.4 variant",
                      field="ServiceReferenceVariant")
    if srv and doc.service_reference and variant is not None \
            and doc.service_reference != variant.service_reference:
        yield finding("GBCS-U004", f"ServiceReference {doc.service_reference} does not match variant {srv} "
                      f"(expected {variant.service_reference})", field="ServiceReference")
    if doc.kind != "Request" or variant is None:
        return
    yield from _body(doc, variant)
    yield from _command_variant(doc, variant)
    yield from _target(doc, variant, dcc_eui or normalise_eui(facts.constant("dcc_eui")))
    yield from decimal_findings(doc)
    yield from _future_dating(doc, variant)


def _body(doc: DuisDocument, variant: Variant) -> Iterator[Finding]:
    names = [local_name(e) for e in doc.body]
    signed = duis_facts().constant("signed_pre_command")
    if len(names) != 1:
        yield finding("GBCS-U005", f"the Body holds {len(names)} elements; a request has exactly one "
                      f"({variant.body} for {variant.variant})", field="Body")
        return
    name = names[0]
    if name == signed:
        if not variant.critical:
            yield finding("GBCS-U005", f"{signed} is only for critical variants; {variant.variant} "
                          f"({variant.title}) takes {variant.body}", field=f"Body/{name}")
        elif doc.command_variant not in SIGNED_CVS:
            yield finding("GBCS-U005", f"{signed} goes with command variant 5, 6 or 7, not "
                          f"{doc.command_variant}", field=f"Body/{name}")
        return
    if name != variant.body:
        other = duis_facts().by_body.get(name)
        hint = f" (that element belongs to {other.variant})" if other else ""
        yield finding("GBCS-U005", f"Body element {name} does not belong to variant {variant.variant}, which "
                      f"uses {variant.body}{hint}", field=f"Body/{name}")
    elif doc.command_variant in SIGNED_CVS:
        yield finding("GBCS-U005", f"command variant {doc.command_variant} sends a {signed}, not "
                      f"{variant.body}", field=f"Body/{name}")


def _command_variant(doc: DuisDocument, variant: Variant) -> Iterator[Finding]:
    cv = doc.command_variant
    if cv is None:
        yield finding("GBCS-U006", "the CommandVariant is missing or not a number", field="CommandVariant")
    elif cv not in variant.command_variants:
        allowed = ", ".join(str(v) for v in sorted(variant.command_variants))
        why = " (critical: send CV 4 for the pre-command, then 5-7 with the signed command)" \
            if variant.critical else ""
        yield finding("GBCS-U006", f"command variant {cv} is not allowed for {variant.variant} "
                      f"({variant.title}); allowed: {allowed}{why}", field="CommandVariant")


def _target(doc: DuisDocument, variant: Variant, dcc: bytes) -> Iterator[Finding]:
    rid = doc.request_id
    if rid is None:
        return
    if variant.non_device and rid.target != dcc:
        yield finding("GBCS-U008", f"{variant.variant} is a non-device request: the RequestID target must be "
                      f"the DCC ({eui_text(dcc)}), not {eui_text(rid.target)}", field="Header/RequestID")
    elif not variant.non_device and rid.target == dcc:
        yield finding("GBCS-U008", f"{variant.variant} is a device request but targets the DCC "
                      f"({eui_text(dcc)}); put the device ID in the RequestID", field="Header/RequestID")


def decimal_findings(doc: DuisDocument) -> Iterator[Finding]:
    rules = duis_facts().decimals
    for element in doc.body_element.iter() if doc.body_element is not None else ():
        if not isinstance(element.tag, str):
            continue
        rule = rules.get(local_name(element))
        if rule is None:
            continue
        text = (element.text or "").strip()
        field = f"Body/.../{rule.element}"
        try:
            value = Decimal(text)
            if not value.is_finite() or "e" in text.lower():
                raise InvalidOperation
        except InvalidOperation:
            yield finding("GBCS-U010", f"{rule.element} {text!r} is not a plain decimal number", field=field)
            continue
        exponent = value.normalize().as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 0
        if digits > rule.fraction_digits:
            yield finding("GBCS-U010", f"{rule.element} {text} has {digits} decimal places; the device carries "
                          f"{rule.fraction_digits} (value x 10^{rule.fraction_digits} as an integer)", field=field)
        low_ok = value > rule.minimum if rule.exclusive else value >= rule.minimum
        high_ok = value < rule.maximum if rule.exclusive else value <= rule.maximum
        if not (low_ok and high_ok):
            kind = "exclusive" if rule.exclusive else "inclusive"
            yield finding("GBCS-U010", f"{rule.element} {text} is outside {rule.minimum}..{rule.maximum} "
                          f"({kind}), the range the device register can carry", field=field)


def _future_dating(doc: DuisDocument, variant: Variant) -> Iterator[Finding]:
    if variant.future_dated != "no" or doc.body_element is None:
        return
    for element in doc.body_element.iter():
        if isinstance(element.tag, str) and local_name(element) == "ExecutionDateTime":
            yield finding("GBCS-U011", f"{variant.variant} ({variant.title}) cannot be future dated; remove "
                          "ExecutionDateTime", field="Body/.../ExecutionDateTime")
            return
