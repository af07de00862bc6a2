"""The certificate rules that need only the certificate itself (GBCS-X0xx general, X2xx device,
X3xx organisation, X4xx CA). Every value compared comes from specs/smki.gbspec."""
from __future__ import annotations

import re

from gbcs.smki.facts import (criticality, extension_set, fact, key_identifier, name_rows, profiles, role_code,
                              role_text, roles)
from gbcs.smki.parse import (T_BIT_STRING, T_GENERALIZED_TIME, T_INTEGER, T_OCTET_STRING, T_OID,
                             T_SEQUENCE, T_UTC_TIME, name_of_oid, oid_of, tag_title, time_value,
                             universal_tag)
from gbcs.smki.registry import LintContext, cert_check
from gbcs.smki.signature import ecdsa_algorithms, signature_value_is_der


def _hex(raw: bytes) -> str:
    return raw.hex().upper()


# ======================================================================================
# General rules: every SMKI certificate
# ======================================================================================

@cert_check("GBCS-X001")
def version_3(ctx: LintContext):
    want = fact("certificate_version")
    if ctx.cert.version != want:
        shown = "absent (v1)" if ctx.cert.version is None else f"v{ctx.cert.version + 1}"
        yield ctx.finding("GBCS-X001", f"the version is {shown}; SMKI certificates are v{want + 1}",
                          ctx.cert.version_element or ctx.cert.tbs)


@cert_check("GBCS-X002", "GBCS-X003")
def serial_number(ctx: LintContext):
    el = ctx.cert.serial
    raw = el.content
    if raw[0] & 0x80:
        yield ctx.finding("GBCS-X002", "the serial number is negative; it must be a positive INTEGER", el)
    elif not any(raw):
        yield ctx.finding("GBCS-X002", "the serial number is 0; it must be a positive INTEGER", el)
    if len(raw) > fact("serial_max_length"):
        yield ctx.finding("GBCS-X002", f"the serial number has {len(raw)} octets; at most "
                          f"{fact('serial_max_length')} are allowed", el)
    if len(raw) != fact("serial_length"):
        yield ctx.finding("GBCS-X003", f"the serial number has {len(raw)} content octets where SMKI "
                          f"certificates use {fact('serial_length')}", el)


@cert_check("GBCS-X004", "GBCS-X005")
def signature_algorithm(ctx: LintContext):
    want = oid_of(fact("signature_algorithm"))
    tbs_alg, outer = ctx.cert.tbs_algorithm, ctx.cert.signature_algorithm
    for el, where in ((tbs_alg, "TBS signature"), (outer, "signatureAlgorithm")):
        got = el.children[0].oid
        if got != want:
            yield ctx.finding("GBCS-X004", f"the {where} algorithm is {got} ({name_of_oid(got) or 'unknown'}); "
                              f"SMKI certificates are signed with {want} ({fact('signature_algorithm')})", el)
    if tbs_alg.children[0].oid == outer.children[0].oid == want and tbs_alg.der != outer.der:
        yield ctx.finding("GBCS-X004", "the TBS signature and signatureAlgorithm fields differ", outer)
    for el in (tbs_alg, outer):
        if el.children[0].oid == want and len(el.children) > 1:
            yield ctx.finding("GBCS-X005", f"the {fact('signature_algorithm')} AlgorithmIdentifier carries a "
                              f"parameter ({_hex(el.children[1].der)}); it must be absent", el.children[1])


@cert_check("GBCS-X017")
def signature_value_der(ctx: LintContext):
    if ctx.cert.signature_algorithm.children[0].oid not in ecdsa_algorithms():
        return
    el = ctx.cert.signature_value
    if signature_value_is_der(ctx.cert):
        return
    raw = ctx.cert.signature_bytes
    if len(raw) == 2 * fact("ecdsa_component_length") and raw[:1] != bytes([T_SEQUENCE]):
        what = f"raw r‖s ({len(raw)} octets), the form GBCS message signatures use"
    else:
        what = "not a DER ECDSA-Sig-Value (an INTEGER with a redundant leading 00, or another BER form)"
    yield ctx.finding("GBCS-X017", f"the signatureValue is {what}; certificates carry a DER "
                      "SEQUENCE { r INTEGER, s INTEGER }, and strict verifiers reject anything else", el)


@cert_check("GBCS-X006", "GBCS-X007")
def subject_key(ctx: LintContext):
    alg = ctx.cert.key_algorithm
    parts = alg.children
    if parts[0].oid != oid_of(fact("key_algorithm")):
        yield ctx.finding("GBCS-X006", f"the subject key algorithm is {parts[0].oid}; SMKI keys are "
                          f"{fact('key_algorithm')} on {fact('key_curve')}", parts[0])
        return
    curve = parts[1] if len(parts) > 1 else None
    if curve is None or curve.tag != T_OID or curve.oid != oid_of(fact("key_curve")):
        shown = "absent" if curve is None else (curve.oid if curve.tag == T_OID else "not a named curve")
        yield ctx.finding("GBCS-X006", f"the curve is {shown}; SMKI keys are on the named curve "
                          f"{oid_of(fact('key_curve'))} ({fact('key_curve')})", curve or alg)
        return
    key = ctx.cert.spki.children[1]
    raw = key.content
    point = raw[1:]
    if raw[:1] != b"\x00" or len(point) != fact("point_length") or point[:1] != bytes([fact("point_form")]):
        form = {2: "compressed", 3: "compressed", 6: "hybrid", 7: "hybrid"}.get(point[0] if point else -1, "malformed")
        yield ctx.finding("GBCS-X007", f"the public key is a {len(point)}-octet {form} point; SMKI keys are "
                          f"uncompressed ({fact('point_length')} octets starting 0x{fact('point_form'):02X})", key)


def _need_extension(ctx, name, rule):
    critical = criticality(name)
    ext = ctx.cert.extension(name)
    if ext is None:
        return None, ctx.finding(rule, f"{name} is missing", ctx.cert.tbs)
    if ext.critical != critical:
        return ext, ctx.finding(rule, f"{name} is {'not ' if critical else ''}marked critical; it must "
                                f"{'' if critical else 'not '}be", ext.element)
    return ext, None


@cert_check("GBCS-X008")
def key_usage_critical(ctx: LintContext):
    _, problem = _need_extension(ctx, "key_usage", "GBCS-X008")
    if problem:
        yield problem


@cert_check("GBCS-X009")
def subject_key_identifier_present(ctx: LintContext):
    _, problem = _need_extension(ctx, "subject_key_identifier", "GBCS-X009")
    if problem:
        yield problem


def _aki_key_id(ctx):
    aki = ctx.cert.extension("authority_key_identifier")
    if aki is None or aki.inner is None:
        return None
    return next((p for p in aki.inner.children if p.tag == 0x80), None)


@cert_check("GBCS-X010")
def key_identifiers(ctx: LintContext):
    n = fact("key_identifier_length")
    ski = ctx.cert.extension("subject_key_identifier")
    if ski is not None and ski.inner is not None and ski.inner.tag == T_OCTET_STRING:
        got = ski.inner.content
        want = key_identifier(ctx.cert.public_key_bits)
        if got != want:
            yield ctx.finding("GBCS-X010", f"the subjectKeyIdentifier is {_hex(got)} ({len(got)} octets); "
                              f"RFC 5280 method 2 over this key gives {_hex(want)}", ski.inner)
    kid = _aki_key_id(ctx)
    if kid is not None and len(kid.content) != n:
        yield ctx.finding("GBCS-X010", f"the authorityKeyIdentifier keyIdentifier has {len(kid.content)} "
                          f"octets; SMKI key identifiers have {n}", kid)


def _policies(ext):
    """[(policy OID element, has qualifiers)] of a certificatePolicies extension."""
    if ext is None or ext.inner is None:
        return []
    out = []
    for info in ext.inner.children:
        parts = info.children
        if parts and parts[0].tag == T_OID:
            out.append((parts[0], len(parts) > 1))
    return out


@cert_check("GBCS-X011")
def certificate_policies_critical(ctx: LintContext):
    ext, problem = _need_extension(ctx, "certificate_policies", "GBCS-X011")
    if problem:
        yield problem
    if ext is not None and not _policies(ext):
        yield ctx.finding("GBCS-X011", "certificatePolicies names no policy", ext.element)


@cert_check("GBCS-X012")
def authority_key_identifier(ctx: LintContext):
    aki = ctx.cert.extension("authority_key_identifier")
    if aki is None:
        if ctx.profile == "root" and ctx.cert.self_issued:
            return
        yield ctx.finding("GBCS-X012", "authorityKeyIdentifier is missing; only a self-signed root may omit it",
                          ctx.cert.tbs)
        return
    if aki.critical != criticality("authority_key_identifier"):
        yield ctx.finding("GBCS-X012", f"authorityKeyIdentifier is {'' if aki.critical else 'not '}marked critical; "
                          f"it must {'' if criticality('authority_key_identifier') else 'not '}be", aki.element)
    parts = aki.inner.children if aki.inner is not None else []
    if [p.tag for p in parts] != [0x80]:
        yield ctx.finding("GBCS-X012", "authorityKeyIdentifier must hold only [0] keyIdentifier (no "
                          "authorityCertIssuer or serial number)", aki.octets)


@cert_check("GBCS-X013")
def no_unique_identifiers(ctx: LintContext):
    for el, what in ((ctx.cert.issuer_unique_id, "issuerUniqueID"), (ctx.cert.subject_unique_id, "subjectUniqueID")):
        if el is not None:
            yield ctx.finding("GBCS-X013", f"the certificate carries a {what}; SMKI certificates have none", el)


@cert_check("GBCS-X014")
def time_encoding(ctx: LintContext):
    last_utc = fact("utc_time_last_year")
    for el, what in ((ctx.cert.not_before, "notBefore"), (ctx.cert.not_after, "notAfter")):
        if el.tag == T_GENERALIZED_TIME:
            text = el.text
            if "." in text:
                yield ctx.finding("GBCS-X014", f"{what} {text} has fractional seconds; RFC 5280 forbids them", el)
            elif int(text[:4]) <= last_utc:
                yield ctx.finding("GBCS-X014", f"{what} {text} is GeneralizedTime for a year up to {last_utc}; "
                                  "it must be UTCTime", el)
        elif el.tag != T_UTC_TIME:
            yield ctx.finding("GBCS-X014", f"{what} is neither UTCTime nor GeneralizedTime", el)


@cert_check("GBCS-X015")
def extension_der(ctx: LintContext):
    seen = set()
    for ext in ctx.cert.extensions:
        if ext.oid in seen:
            yield ctx.finding("GBCS-X015", f"the extension {ext.name} appears more than once", ext.element)
        seen.add(ext.oid)
        if ext.critical_encoded and not ext.critical:
            yield ctx.finding("GBCS-X015", f"{ext.name} encodes critical FALSE; DER leaves a default out",
                              ext.element)
        if ext.problem:
            yield ctx.finding("GBCS-X015", f"the value of {ext.name} {ext.problem}", ext.octets)


@cert_check("GBCS-X016")
def profile_known(ctx: LintContext):
    if ctx.profile is None:
        yield ctx.finding("GBCS-X016", "the certificate matches no SMKI profile (no CA key usage, no device "
                          "subjectAltName or empty subject, no organisation OU or uniqueIdentifier); only the "
                          "general rules were checked — give the profile with --profile", ctx.cert.subject)


# ======================================================================================
# Shared by the device / organisation / CA families
# ======================================================================================

def _key_usage_rule(ctx: LintContext, rule: str, family: str):
    ext = ctx.cert.extension("key_usage")
    if ext is None:
        return
    allowed = {p["usage"]: p["key_usage"] for p in profiles().values() if p["family"] == family}
    if ctx.expected_usage in allowed:
        if ext.value != allowed[ctx.expected_usage]:
            got = ", ".join(sorted(ctx.cert.key_usage_bits or ())) or "no bits"
            yield ctx.finding(rule, f"keyUsage asserts {got}; this certificate is filed as a "
                              f"{ctx.expected_usage.upper()} certificate, which asserts only "
                              f"{'digitalSignature' if ctx.expected_usage == 'ds' else 'keyAgreement'}", ext.octets)
    elif ext.value not in allowed.values():
        got = ", ".join(sorted(ctx.cert.key_usage_bits or ())) or "no bits"
        yield ctx.finding(rule, f"keyUsage asserts {got}; it must assert exactly one of digitalSignature "
                          "or keyAgreement", ext.octets)


def _policy_rule(ctx: LintContext, rule: str, family: str, qualifiers_matter: bool):
    ext = ctx.cert.extension("certificate_policies")
    pols = _policies(ext)
    if ext is None or not pols:
        return                       # GBCS-X011 reports a missing or empty extension
    if len(pols) != 1:
        yield ctx.finding(rule, f"certificatePolicies names {len(pols)} policies; it must name exactly one",
                          ext.octets)
        return
    el, qualified = pols[0]
    if qualifiers_matter and qualified:
        yield ctx.finding(rule, "the policy carries qualifiers; SMKI policies have none", el)
    accepted = ctx.environment.policies.get(family) or frozenset()
    if accepted and el.oid not in accepted:
        yield ctx.finding(rule, f"the policy {el.oid} is not one the {ctx.environment.name} environment accepts "
                          f"for {family} certificates ({', '.join(sorted(accepted))}); configure it with --policy "
                          "if it is right", el)


def _extension_set_rule(ctx: LintContext, rule: str, family: str):
    wanted = extension_set(family)
    names = [e.name for e in ctx.cert.extensions]
    for w in wanted:
        optional = w["presence"] == "root_optional" and ctx.profile == "root"
        if w["extension"] not in names and not optional:
            yield ctx.finding(rule, f"the {family} profile carries {w['extension']}, which is missing",
                              ctx.cert.tbs)
    allowed = {w["extension"] for w in wanted}
    for ext in ctx.cert.extensions:
        if ext.name not in allowed:
            yield ctx.finding(rule, f"{ext.name} is not part of the {family} profile "
                              f"({', '.join(w['extension'] for w in wanted)})", ext.element)


def _name_rule(ctx: LintContext, rule: str, scope: str, which: str, ignore: tuple[str, ...] = ()):
    """The name follows its smki_name rows: those attributes, one per RDN, in order, of those string
    types, an OU naming the row's role. Attributes named in `ignore` are another rule's."""
    rows = name_rows(scope, which)
    name_el = ctx.cert.issuer if which == "issuer" else ctx.cert.subject
    rdns = ctx.cert.issuer_rdns if which == "issuer" else ctx.cert.subject_rdns
    shape = ", ".join(r["attribute"] + ("" if r["presence"] == "required" else " (optional)") for r in rows)
    if any(len(rdn) != 1 for rdn in rdns):
        yield ctx.finding(rule, f"an RDN of the {which} holds several attributes; SMKI names hold one per RDN",
                          name_el)
        return
    skipped = {oid_of(n) for n in ignore}
    attrs = [rdn[0] for rdn in rdns if rdn[0].oid not in skipped]
    i = 0
    for row in rows:
        if i < len(attrs) and attrs[i].oid == oid_of(row["attribute"]):
            a = attrs[i]
            i += 1
            if row["string"] != "any" and a.tag != universal_tag(row["string"]):
                yield ctx.finding(rule, f"the {which} {row['attribute']} is a {tag_title(a.tag)}; the {scope} "
                                  f"profile uses {tag_title(universal_tag(row['string']))}", a.value)
            if row["role"] and a.value.text != f"{role_code(row['role']):02X}":
                yield ctx.finding(rule, f"the {which} OU is {a.value.text!r}; it must be role "
                                  f"{role_code(row['role']):02X} ({row['role']})", a.value)
        elif row["presence"] == "required":
            yield ctx.finding(rule, f"the {which} lacks {row['attribute']} where the {scope} profile has {shape}",
                              name_el)
            return
    for a in attrs[i:]:
        yield ctx.finding(rule, f"the {which} carries {name_of_oid(a.oid) or a.oid} where the {scope} profile "
                          f"has only {shape}", a.value)


# ======================================================================================
# Device certificates (GBCS 12, "Requirements applicable to Device Certificates")
# ======================================================================================

@cert_check("GBCS-X201", families=("device",))
def device_no_expiry(ctx: LintContext):
    el = ctx.cert.not_after
    want = fact("device_not_after")
    if el.tag != T_GENERALIZED_TIME or el.text != want:
        yield ctx.finding("GBCS-X201", f"notAfter is {tag_title(el.tag)} "
                          f"{el.text}; a Device Certificate has GeneralizedTime {want}", el)


@cert_check("GBCS-X202", families=("device",))
def device_empty_subject(ctx: LintContext):
    if ctx.cert.subject.content:
        yield ctx.finding("GBCS-X202", "the subject is not empty; a Device Certificate names its device in "
                          "the subjectAltName only", ctx.cert.subject)


@cert_check("GBCS-X203", families=("device",))
def device_key_usage(ctx: LintContext):
    yield from _key_usage_rule(ctx, "GBCS-X203", "device")


@cert_check("GBCS-X204", families=("device",))
def device_policy(ctx: LintContext):
    yield from _policy_rule(ctx, "GBCS-X204", "device", True)


@cert_check("GBCS-X205", families=("device",))
def device_san_critical(ctx: LintContext):
    _, problem = _need_extension(ctx, "subject_alt_name", "GBCS-X205")
    if problem:
        yield problem


@cert_check("GBCS-X206", families=("device",))
def device_san_form(ctx: LintContext):
    ext = ctx.cert.extension("subject_alt_name")
    if ext is None:
        return
    names = ext.inner.children if ext.inner is not None else []
    hmn = ctx.cert.hardware_module_names
    if len(names) != 1:
        yield ctx.finding("GBCS-X206", f"the subjectAltName holds {len(names)} names; a Device Certificate "
                          "holds exactly one hardwareModuleName otherName", ext.octets)
    elif not hmn:
        yield ctx.finding("GBCS-X206", "the subjectAltName name is not an otherName of type "
                          f"{oid_of('id_on_hardware_module_name')} (hardwareModuleName)", names[0])
    else:
        gn, hw_type, serial = hmn[0]
        wrapped = gn.children[1].children
        parts = wrapped[0].children if wrapped else []
        if hw_type is None or serial is None or len(parts) != 2:
            yield ctx.finding("GBCS-X206", "the HardwareModuleName is not SEQUENCE { hwType OID, "
                              "hwSerialNum OCTET STRING }", gn)


@cert_check("GBCS-X207", families=("device",))
def device_eui(ctx: LintContext):
    n = fact("eui_length")
    for _, _, serial in ctx.cert.hardware_module_names:
        if serial is None:
            continue
        raw = serial.content
        if len(raw) != n:
            yield ctx.finding("GBCS-X207", f"hwSerialNum has {len(raw)} octets; the device Entity Identifier "
                              f"is an {n}-octet EUI-64", serial)
        elif ctx.expected_eui is not None and raw != ctx.expected_eui:
            yield ctx.finding("GBCS-X207", f"hwSerialNum is {_hex(raw)} but this certificate is filed for "
                              f"{_hex(ctx.expected_eui)}", serial)


@cert_check("GBCS-X208", families=("device",))
def device_hw_type(ctx: LintContext):
    accepted = ctx.environment.hw_types
    for _, hw_type, _ in ctx.cert.hardware_module_names:
        if hw_type is not None and accepted and hw_type.oid not in accepted:
            yield ctx.finding("GBCS-X208", f"hwType is {hw_type.oid}; the {ctx.environment.name} environment "
                              f"uses {', '.join(sorted(accepted))}", hw_type)


@cert_check("GBCS-X209", families=("device",))
def device_single_key(ctx: LintContext):
    from gbcs.payload.asn1 import der_oid
    key_oid = der_oid(oid_of(fact("key_algorithm")))
    n = fact("point_length")
    point_in_bits = bytes([T_BIT_STRING, n + 1, 0, fact("point_form")])
    point_in_octets = bytes([T_OCTET_STRING, n, fact("point_form")])
    known = {w["extension"] for w in extension_set("device")}
    for ext in ctx.cert.extensions:
        if ext.name in known:
            continue
        if key_oid in ext.value or point_in_bits in ext.value or point_in_octets in ext.value:
            yield ctx.finding("GBCS-X209", f"the extension {ext.name} carries key material; a Device Certificate "
                              "carries exactly one public key", ext.element)


@cert_check("GBCS-X210", families=("device",))
def device_extension_set(ctx: LintContext):
    yield from _extension_set_rule(ctx, "GBCS-X210", "device")


@cert_check("GBCS-X211", families=("device",))
def device_issuer_name(ctx: LintContext):
    yield from _name_rule(ctx, "GBCS-X211", "device", "issuer")


# ======================================================================================
# Organisation certificates
# ======================================================================================

def _role_ous(ctx):
    return ctx.cert.subject_attributes("organizational_unit_name")


@cert_check("GBCS-X301", families=("organisation",))
def organisation_role_ou(ctx: LintContext):
    ous = _role_ous(ctx)
    if len(ous) != 1:
        yield ctx.finding("GBCS-X301", f"the subject has {len(ous)} OU attributes; an Organisation Certificate "
                          "has exactly one, carrying the Remote Party Role", ctx.cert.subject)


def _role_digits_ok(value) -> bool:
    return bool(re.fullmatch(f"[0-9A-F]{{{fact('role_digits')}}}", value.text))


@cert_check("GBCS-X302", families=("organisation",))
def organisation_role_format(ctx: LintContext):
    for ou in _role_ous(ctx)[:1]:
        if not _role_digits_ok(ou.value):
            yield ctx.finding("GBCS-X302", f"the role OU is {ou.value.text!r}; it must be the role code as "
                              f"{fact('role_digits')} upper-case hex digits (e.g. 02)", ou.value)
        elif ou.tag != universal_tag(_subject_row("organizational_unit_name")["string"]):
            yield ctx.finding("GBCS-X302", f"the role OU is a {tag_title(ou.tag)}; SMKI uses "
                              f"{_subject_row('organizational_unit_name')['string']}", ou.value)


@cert_check("GBCS-X303", families=("organisation",))
def organisation_role_allowed(ctx: LintContext):
    for ou in _role_ous(ctx)[:1]:
        text = ou.value.text
        if not _role_digits_ok(ou.value):
            yield ctx.finding("GBCS-X303", f"the role {text!r} is not a Remote Party Role code", ou.value)
            continue
        code = int(text, 16)
        r = roles().get(code)
        holders = {"end_entity"} | set(ctx.environment.role_holders)
        if r is None:
            yield ctx.finding("GBCS-X303", f"role {text} is not an assigned Remote Party Role", ou.value)
        elif ctx.expected_role is not None and code != ctx.expected_role:
            yield ctx.finding("GBCS-X303", f"role {text} ({r['name']}) is not the role {role_text(ctx.expected_role)} "
                              "the keystore files this certificate under", ou.value)
        elif r["holder"] not in holders:
            why = "a CA role" if r["holder"] == "ca" else f"a {r['holder'].replace('_', ' ')} role"
            yield ctx.finding("GBCS-X303", f"role {text} ({r['name']}) is {why}; the {ctx.environment.name} "
                              "environment does not accept it on an Organisation Certificate", ou.value)


@cert_check("GBCS-X304", families=("organisation",))
def organisation_eui(ctx: LintContext):
    uids = ctx.cert.subject_attributes("x500_unique_identifier")
    n = fact("eui_length")
    if len(uids) != 1:
        yield ctx.finding("GBCS-X304", f"the subject has {len(uids)} x500UniqueIdentifier attributes; an "
                          "Organisation Certificate has exactly one, the organisation's EUI", ctx.cert.subject)
        return
    v = uids[0].value
    raw = v.content
    if v.tag != universal_tag(_subject_row("x500_unique_identifier")["string"]):
        yield ctx.finding("GBCS-X304", f"x500UniqueIdentifier is a {tag_title(v.tag)}; it must be a BIT STRING "
                          f"of {n * 8} bits", v)
    elif raw[:1] != b"\x00" or len(raw) != n + 1:
        yield ctx.finding("GBCS-X304", f"x500UniqueIdentifier is {(len(raw) - 1) * 8 - (raw[0] if raw else 0)} bits "
                          f"with {raw[0] if raw else 0} unused; it must be {n * 8} bits (the EUI-64), 0 unused "
                          "(did the encoder forget the unused-bits octet?)", v)
    elif ctx.expected_eui is not None and raw[1:] != ctx.expected_eui:
        yield ctx.finding("GBCS-X304", f"the certificate is for EUI {_hex(raw[1:])} but is filed under "
                          f"{_hex(ctx.expected_eui)}", v)


def _subject_row(attribute: str) -> dict | None:
    return next((r for r in name_rows("organisation", "subject") if r["attribute"] == attribute), None)


@cert_check("GBCS-X305", families=("organisation",))
def organisation_subject_attributes(ctx: LintContext):
    rows = {oid_of(r["attribute"]): r for r in name_rows("organisation", "subject")}
    for rdn in ctx.cert.subject_rdns:
        if len(rdn) != 1:
            yield ctx.finding("GBCS-X305", "a subject RDN holds several attributes; SMKI names hold one per RDN",
                              rdn[0].value)
    for a in (a for rdn in ctx.cert.subject_rdns for a in rdn):
        row = rows.get(a.oid)
        if row is None:
            yield ctx.finding("GBCS-X305", f"the subject carries {name_of_oid(a.oid) or a.oid}; an Organisation "
                              f"Certificate names only {', '.join(r['attribute'] for r in rows.values())}", a.value)
        elif row["presence"] == "optional" and a.tag != universal_tag(row["string"]):
            yield ctx.finding("GBCS-X305", f"the subject {row['attribute']} is a {tag_title(a.tag)}; SMKI uses "
                              f"{tag_title(universal_tag(row['string']))}", a.value)


@cert_check("GBCS-X306", families=("organisation",))
def organisation_key_usage(ctx: LintContext):
    yield from _key_usage_rule(ctx, "GBCS-X306", "organisation")


@cert_check("GBCS-X307", families=("organisation",))
def organisation_no_san(ctx: LintContext):
    ext = ctx.cert.extension("subject_alt_name")
    if ext is not None:
        yield ctx.finding("GBCS-X307", "an Organisation Certificate carries a subjectAltName; the subject "
                          "names the organisation", ext.element)


@cert_check("GBCS-X308", families=("organisation",))
def organisation_no_basic_constraints(ctx: LintContext):
    ext = ctx.cert.extension("basic_constraints")
    if ext is not None:
        yield ctx.finding("GBCS-X308", "an Organisation Certificate carries basicConstraints; end-entity SMKI "
                          "certificates leave it out", ext.element)


@cert_check("GBCS-X309", families=("organisation",))
def organisation_bounded_validity(ctx: LintContext):
    nb, na = ctx.cert.not_before, ctx.cert.not_after
    if na.tag == T_GENERALIZED_TIME and na.text == fact("device_not_after"):
        yield ctx.finding("GBCS-X309", f"notAfter is {na.text}, the no-expiry value of Device Certificates; "
                          "Organisation Certificates expire", na)
    elif time_value(na) <= time_value(nb):
        yield ctx.finding("GBCS-X309", f"notAfter {na.text} is not after notBefore {nb.text}", na)


@cert_check("GBCS-X310", families=("organisation",))
def organisation_policy(ctx: LintContext):
    yield from _policy_rule(ctx, "GBCS-X310", "organisation", False)


@cert_check("GBCS-X311", families=("organisation",))
def organisation_issuer_name(ctx: LintContext):
    yield from _name_rule(ctx, "GBCS-X311", "organisation", "issuer")


@cert_check("GBCS-X312", families=("organisation",))
def organisation_extension_set(ctx: LintContext):
    yield from _extension_set_rule(ctx, "GBCS-X312", "organisation")


# ======================================================================================
# CA certificates (issuing OCA / DCA, root)
# ======================================================================================

@cert_check("GBCS-X401", families=("ca",))
def ca_key_usage(ctx: LintContext):
    ext = ctx.cert.extension("key_usage")
    if ext is None:
        return                                     # GBCS-X008
    want = profiles()[ctx.profile]["key_usage"]
    if ext.value != want or ext.critical != criticality("key_usage"):
        got = ", ".join(sorted(ctx.cert.key_usage_bits or ())) or "no bits"
        yield ctx.finding("GBCS-X401", f"keyUsage asserts {got}{'' if ext.critical else ', not critical'}; a CA "
                          "certificate asserts exactly keyCertSign and cRLSign, critical", ext.octets)


@cert_check("GBCS-X402", families=("ca",))
def ca_basic_constraints(ctx: LintContext):
    ext = ctx.cert.extension("basic_constraints")
    if ext is None:
        yield ctx.finding("GBCS-X402", "basicConstraints is missing; a CA certificate has it, critical, cA TRUE",
                          ctx.cert.tbs)
        return
    parts = ext.inner.children if ext.inner is not None else []
    ca = ctx.cert.ca_flag
    if ext.critical != criticality("basic_constraints") or not ca:
        yield ctx.finding("GBCS-X402", f"basicConstraints is {'critical' if ext.critical else 'not critical'} "
                          f"with cA {'TRUE' if ca else 'FALSE'}; a CA certificate has it critical with cA TRUE",
                          ext.element)
    path = next((p for p in parts if p.tag == T_INTEGER), None)
    want = fact("issuing_ca_path_length")
    if ctx.profile == "issuing-ca" and path is not None and int.from_bytes(path.content, "big", signed=True) != want:
        yield ctx.finding("GBCS-X402", f"an issuing CA's pathLenConstraint is {want}", path)


@cert_check("GBCS-X403", families=("ca",))
def ca_subject_role(ctx: LintContext):
    # a uniqueIdentifier in a CA subject is GBCS-X406's
    yield from _name_rule(ctx, "GBCS-X403", ctx.profile, "subject", ignore=("x500_unique_identifier",))


@cert_check("GBCS-X404", families=("ca",))
def root_self_signed(ctx: LintContext):
    if ctx.profile == "root" and not ctx.cert.self_issued:
        yield ctx.finding("GBCS-X404", "a root (role 00) certificate must be self-signed: its issuer must equal "
                          "its subject", ctx.cert.issuer)
    elif ctx.profile != "root" and ctx.cert.self_issued:
        yield ctx.finding("GBCS-X404", "the certificate is self-signed but its role is not root (00); only the "
                          "root is self-signed", ctx.cert.issuer)


@cert_check("GBCS-X405", families=("ca",))
def ca_extension_set(ctx: LintContext):
    yield from _extension_set_rule(ctx, "GBCS-X405", "ca")


@cert_check("GBCS-X406", families=("ca",))
def ca_no_end_entity_names(ctx: LintContext):
    ext = ctx.cert.extension("subject_alt_name")
    if ext is not None:
        yield ctx.finding("GBCS-X406", "a CA certificate carries a subjectAltName", ext.element)
    for a in ctx.cert.subject_attributes("x500_unique_identifier"):
        yield ctx.finding("GBCS-X406", "a CA certificate carries an x500UniqueIdentifier", a.value)
