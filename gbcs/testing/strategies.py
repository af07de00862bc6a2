"""Hypothesis strategies for whole GBCS messages, payloads and alerts, generated from specs/.

A message is built the way a DCC user and a device build one: a payload of the family the
use-case table names, the General-Signing grouping header, a signature where the message type
is signed, and the MAC header and MAC. With keys (a `Parties` or explicit ones) signatures and
MACs are real; without, they are random bytes of the right size (unverifiable, never valid).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from gbcs import builder
from gbcs.crypto import Keystore
from gbcs.crypto._facts import facts as crypto_facts
from gbcs.payload import asn1 as _asn1
from gbcs.payload import dlms as _dlms
from gbcs.payload import gbz as _gbz
from gbcs.spec import specs
from gbcs.spec.load import SpecSet
from gbcs.testing import tables
from gbcs.testing.values import dlms_data, der_value, random_part, shaped_dlms_data, struct_fields

_EUI = st.binary(min_size=8, max_size=8)
_COUNTER = st.integers(1, 2**63 - 1)
_STAMP = st.integers(0, 2**31 - 1)          # seconds since 2000 (GBZ), also read as a DLMS date-time


# -- keys --------------------------------------------------------------------------------

def derived_key(label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 TEST key derived from a label: the same label gives the same key on every run."""
    scalar = int.from_bytes(hashlib.sha256(b"gbcs.testing " + label.encode()).digest(), "big")
    return ec.derive_private_key((scalar >> 1) | 1, ec.SECP256R1())      # 255 bits: below the group order


@dataclass
class Parties:
    """A remote party (supplier), a device and the Access Control Broker with TEST keys, and
    a keystore holding all of them: pass it to messages(parties=...) and to gbcs.validate.

    Keys are derived from the EUIs, so the same EUIs give the same keys on every run.
    Never use them for anything real.
    """
    supplier: bytes = bytes.fromhex("AB00000000010000")
    device: bytes = bytes.fromhex("AB000000000000E1")
    acb: bytes | None = None                 # default: the ACB id of specs/crypto.gbspec
    keystore: Keystore = field(init=False)
    keys: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from gbcs.crypto import make_certificate
        from gbcs.crypto._facts import facts
        if self.acb is None:
            self.acb = facts().acb_default
        self.keystore = Keystore()
        self.keys = {}
        for eui, device in ((self.supplier, False), (self.acb, False), (self.device, True)):
            for usage in ("ds", "ka"):
                key = derived_key(f"{eui.hex()}-{usage}")
                cert = make_certificate(key, eui, usage, device=device, role=2)
                self.keystore.add_key(eui, usage, private_key=key, certificate=cert, source="gbcs.testing")
                self.keys[(eui, usage)] = key

    def signing_key(self, eui: bytes) -> ec.EllipticCurvePrivateKey | None:
        return self.keys.get((bytes(eui), "ds"))


# -- payloads ----------------------------------------------------------------------------

def _alert_code(draw, code: int, family: str, alert_code: int | None, spec_set: SpecSet) -> int:
    """The alert code to carry: the one asked for, else one the alert table lets this message
    code carry in this family."""
    if alert_code is not None:
        return alert_code
    usable = tables.code_facts(code, spec_set).alert_codes.get(family) if code in tables.all_codes(spec_set) else None
    return draw(st.sampled_from(usable or sorted(spec_set.get("alert_codes", "gbcs").by_key)))


def _dlms_facts(spec_set: SpecSet):
    t = _dlms._t(spec_set)
    members: dict[tuple[int, str], list[int]] = {}
    for (cid, kind, index) in t.members:
        members.setdefault((cid, kind), []).append(index)
    objects = sorted((raw, cid) for raw, (cid, _, _) in t.objects.items())
    choices = [name for _, (name, _) in sorted(t.request_choices.items())
               if name in {n for n, _ in t.response_choices.values()}]
    return t, members, objects, choices


@st.composite
def _dlms_specs(draw, code: int, spec_set: SpecSet) -> list[tuple]:
    """Request specs: targets the payload-shape table gives the code, else any object and member."""
    known = tables.code_facts(code, spec_set).dlms_targets if code in tables.all_codes(spec_set) else ()
    t, members, objects, choices = spec_set.derived(_dlms_facts)
    if known:
        chosen = draw(st.lists(st.sampled_from(known), min_size=1, max_size=min(3, len(known)), unique=True))
        return [spec + draw(_selection(t, spec, spec_set)) for spec in chosen]
    out = []
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.sampled_from(choices))
        kind = "method" if choice == "action" else "attribute"
        usable = [(raw, cid) for raw, cid in objects if members.get((cid, kind))]
        raw, cid = draw(st.sampled_from(usable))
        out.append((choice, cid, _dlms.obis_text(raw), draw(st.sampled_from(sorted(members[(cid, kind)])))))
    return out


@st.composite
def _selection(draw, t, spec: tuple, spec_set: SpecSet) -> tuple:
    """(selector, parameters) of a *_with_selection spec, fitting a selector shape of its class."""
    if not spec[0].endswith("_with_selection"):
        return ()
    selectors = sorted(sel for (cid, sel) in t.selector_shapes if cid == spec[1])
    if not selectors:
        return (1, draw(dlms_data(spec_set=spec_set)))
    selector = draw(st.sampled_from(selectors))
    return (selector, draw(shaped_dlms_data(t.selector_shapes[(spec[1], selector)], spec_set)))


def _response_choice(t, choice: str) -> str:
    """The Access-Response choice answering a request choice (get answers get-with-selection)."""
    names = sorted((n for n, _ in t.response_choices.values()), key=len, reverse=True)
    return next(n for n in names if choice == n or choice.startswith(n + "_"))


@st.composite
def _dlms_payload(draw, kind: str, code: int, counter: int, spec_set: SpecSet, alert_code: int | None = None,
                  ends: tuple[bytes, bytes] | None = None, cipher=None) -> bytes:
    """DLMS content; `ends` (originator, recipient) go into protection parameters, `cipher`
    encrypts protected parts (random ciphertext without it)."""
    t = _dlms._t(spec_set)
    invoke_id = counter & 0xFFFFFF
    ends = ends or (bytes(8), bytes(8))
    if kind == "alert":
        alert_code = _alert_code(draw, code, "dlms", alert_code, spec_set)
        stamp = _dlms.dlms_datetime(draw(st.datetimes(min_value=_DT_MIN, max_value=_DT_MAX)), deviation=0)
        shape = t.alert_bodies.get(code)
        extra = []
        if shape is not None:    # elements 0 and 1 are the alert code and timestamp build_alert writes
            for i in sorted(shape.children):
                if i < 2:
                    continue
                child = shape.child(i)
                if child is None:
                    continue
                protected = child.read == ("shape", "dlms_protection_parameters")
                extra.append(_protection(counter, ends) if protected
                             else draw(shaped_dlms_data(child, spec_set, 1, cipher)))
        return _dlms.build_alert(alert_code, stamp, *extra, invoke_id=invoke_id, spec_set=spec_set)
    request = draw(_dlms_specs(code, spec_set))
    data: list = []
    if kind == "command":
        for choice, cid, _, member, *_ in request:
            shape = t.parameter_shapes.get((cid, "method" if choice == "action" else "attribute", member))
            if choice == "get":
                data.append(None)
            elif shape is not None:
                data.append(draw(shaped_dlms_data(shape, spec_set, cipher=cipher)))
            else:
                data.append(draw(dlms_data(spec_set=spec_set)))
        return _dlms.build_access_request(request, data, invoke_id=invoke_id, spec_set=spec_set)
    for choice, *_ in request:
        choice = _response_choice(t, choice)
        if code in t.protected_codes and choice in ("get", "action"):
            plaintext = _dlms.encode_data(draw(dlms_data(spec_set=spec_set)), spec_set)
            part = cipher(plaintext) if cipher is not None else random_part(draw, plaintext, spec_set)
            data.append(("structure", [_protection(counter, ends), ("octet_string", part)]))
        elif choice == "get":
            data.append(draw(dlms_data(spec_set=spec_set)))
        else:
            data.append(None)
    results = [(_response_choice(t, choice), "success") for choice, *_ in request]
    return _dlms.build_access_response(data, results, invoke_id=invoke_id, spec_set=spec_set)


def _protection(counter: int, ends: tuple[bytes, bytes]):
    return _dlms.protection_parameters(counter, ends[0], ends[1])


_DT_MIN = _dt.datetime(2000, 1, 1)
_DT_MAX = _dt.datetime(2099, 12, 31)


def _zcl_facts(spec_set: SpecSet):
    """Every ZCL command with a payload layout, as ZclShapes per kind (the fallback when the
    payload-shape table has no row for a code)."""
    f = _gbz._facts(spec_set)
    clusters = sorted(f.cluster_titles)
    by_kind: dict[str, list[tables.ZclShape]] = {"command": [], "response": []}
    for cmd in f.commands.values():
        if cmd.layout is None:
            continue
        for kind, direction in (("command", 0), ("response", 1)):
            if cmd.direction is None or cmd.direction == direction:
                for cluster in ([cmd.cluster] if cmd.cluster is not None else clusters):
                    by_kind[kind].append(tables.ZclShape(cluster, cmd.cluster is not None, bool(direction), cmd.id,
                                                         False, False, None))
    return f, by_kind


@st.composite
def _zcl_fields(draw, code: int, shape: tables.ZclShape, layout: str, spec_set: SpecSet) -> dict:
    """Fields of a ZCL payload: the attributes the shape names, the unit, multiplier and divisor
    the use case prescribes (zse_scaled_value), no zero divisors, known units."""
    from gbcs.validate.facts import facts
    fields = draw(struct_fields(layout, spec_set))
    if shape.attributes and "attributes" in fields:
        fields["attributes"] = [{"attribute_id": a} for a in shape.attributes]
    f = facts(spec_set)
    prescribed = f.scaled.get((code, shape.cluster, shape.command))
    if prescribed is not None:
        unit = next(v for v, (name, _) in f.units.items() if name == prescribed["unit"])
        fields.update({prescribed["unit_field"]: unit, prescribed["multiplier_field"]: prescribed["multiplier"],
                       prescribed["divisor_field"]: prescribed["divisor"]})
    _sane_scaling(fields, sorted(f.units))
    return fields


def _sane_scaling(fields, units: list[int]) -> None:
    """Divisors of zero and unknown units are what the precision rules flag: keep them out of
    valid messages (mutations put them back)."""
    if isinstance(fields, list):
        for item in fields:
            _sane_scaling(item, units)
        return
    if not isinstance(fields, dict):
        return
    for name, value in list(fields.items()):
        if isinstance(value, (dict, list)):
            _sane_scaling(value, units)
        elif isinstance(value, int) and (name == "divisor" or name.endswith("_divisor")) and value == 0:
            fields[name] = 1
        elif isinstance(value, int) and (name == "unit_of_measure" or name.endswith("_unit_of_measure")) \
                and value not in units:
            fields[name] = units[value % len(units)]


@st.composite
def _gbz_component(draw, code: int, kind: str, spec_set: SpecSet, cipher=None) -> bytes:
    f, fallback = spec_set.derived(_zcl_facts)
    known = tables.code_facts(code, spec_set).zcl.get(kind) if code in tables.all_codes(spec_set) else None
    shape = draw(st.sampled_from(known or fallback[kind]))
    fc = _gbz.build_frame_control(shape.cluster_specific, shape.server_to_client, specs=spec_set)
    cmd = f.command(shape.cluster, fc, shape.command)
    payload = b""
    if cmd is not None and cmd.layout is not None:
        from gbcs.compile import build_struct
        payload = build_struct(spec_set, cmd.layout, draw(_zcl_fields(code, shape, cmd.layout, spec_set)))
    from_date_time = draw(_STAMP) if shape.from_date_time else None
    sequence = draw(st.integers(0, 255))
    if shape.encrypted:
        part = cipher(payload) if cipher is not None else random_part(draw, payload, spec_set)
        header, tag = crypto_facts().security_header_size, crypto_facts().tag_length
        return _gbz.build_encrypted_component(shape.cluster, shape.command, part[header:-tag], part[-tag:],
                                              frame_control=fc, sequence=sequence, from_date_time=from_date_time, specs=spec_set)
    return _gbz.build_component(shape.cluster, shape.command, payload, frame_control=fc, sequence=sequence,
                                from_date_time=from_date_time, specs=spec_set)


@st.composite
def _gbz_payload(draw, kind: str, code: int, spec_set: SpecSet, alert_code: int | None = None, cipher=None) -> bytes:
    if kind == "alert":
        f = _gbz._facts(spec_set)
        alert_code = _alert_code(draw, code, "gbz", alert_code, spec_set)
        body_row = f.alert_bodies.get(code)
        form = body_row.cells["form"] if body_row is not None else None
        body: bytes | dict | None = None
        if form == "struct" and body_row is not None:
            body = draw(struct_fields(body_row.cells["layout"], spec_set))
        elif form == "component":
            body = draw(_gbz_component(code, "response", spec_set, cipher))
        return _gbz.build_gbz_alert(alert_code, draw(_STAMP), body, message_code=code, specs=spec_set)
    components = draw(st.lists(_gbz_component(code, kind, spec_set, cipher), min_size=1, max_size=3))
    return _gbz.build_gbz(components, specs=spec_set)


@st.composite
def _asn1_payload(draw, kind: str, code: int, spec_set: SpecSet, alert_code: int | None = None) -> bytes:
    cra = tables.KINDS.index(kind) + 1
    type_name = _asn1.asn1_type_for(spec_set, code, cra)
    if type_name is None:                     # no type in the dispatch table: any DER SEQUENCE
        return _asn1.der_sequence(_asn1.der_integer(draw(st.integers(0, 2**31))))
    prefer = {}
    if kind == "alert":
        prefer[("alert_codes", "gbcs")] = (_alert_code(draw, code, "asn1", alert_code, spec_set),)
    return draw(der_value(type_name, spec_set, prefer))


def payloads(family: str | None = None, kind: str | None = None, *, message_code: int | None = None,
             counter: int | None = None, spec_set: SpecSet | None = None) -> st.SearchStrategy[bytes]:
    """Message content (the bytes between grouping header and signature) of a payload family
    (dlms, gbz, asn1) for a CRA kind (command, response, alert); any when left out."""
    s = spec_set or specs()
    if family is not None and family not in ("dlms", "gbz", "asn1"):
        raise ValueError(f"family must be dlms, gbz or asn1, not {family!r}")
    if kind is not None and kind not in tables.KINDS:
        raise ValueError(f"kind must be one of {', '.join(tables.KINDS)}, not {kind!r}")

    @st.composite
    def build(draw) -> bytes:
        fam = family or draw(st.sampled_from(("dlms", "gbz", "asn1")))
        knd = kind or draw(st.sampled_from(tables.KINDS))
        code = message_code if message_code is not None else draw(st.sampled_from(tables.all_codes(s)))
        if fam == "dlms":
            return draw(_dlms_payload(knd, code, counter if counter is not None else draw(_COUNTER), s))
        if fam == "gbz":
            return draw(_gbz_payload(knd, code, s))
        return draw(_asn1_payload(knd, code, s))
    return build()


# -- whole messages ----------------------------------------------------------------------

def _codes_for(use_case: str | None, message_code: int | None, kind: str | None, s: SpecSet) -> list[int]:
    if message_code is not None:
        codes = [tables.code_facts(message_code, s).code]
    elif use_case is not None:
        codes = tables.codes_of(use_case, s)
    else:
        codes = tables.all_codes(s)
    if kind is not None:
        if kind not in tables.KINDS:
            raise ValueError(f"kind must be one of {', '.join(tables.KINDS)}, not {kind!r}")
        codes = [c for c in codes if kind in tables.code_facts(c, s).kinds]
        if not codes:
            what = use_case or (f"0x{message_code:04X}" if message_code is not None else "any use case")
            raise ValueError(f"{what} has no {kind}; its message types travel as "
                             + ", ".join(sorted({k for c in (tables.codes_of(use_case, s) if use_case else [])
                                                 for k in tables.code_facts(c, s).kinds})) or "nothing")
    return codes


def messages(use_case: str | None = None, kind: str | None = None, *, message_code: int | None = None,
             parties: Parties | None = None, signed_by: ec.EllipticCurvePrivateKey | None = None,
             mac_keys=None, originator: bytes | None = None, recipient: bytes | None = None,
             alert_code: int | None = None, spec_set: SpecSet | None = None) -> st.SearchStrategy[bytes]:
    """Whole, structurally valid GBCS messages (MAC header, grouping header, content, signature, MAC).

    use_case: an id of gbcs.testing.use_cases() (any when left out); kind: command, response or
    alert (any the use case has). parties: a Parties whose keys sign and MAC (validate with
    parties.keystore). signed_by: the private DS key for the messages the message type signs;
    mac_keys: a Keystore, or (private KA key, peer public KA key) for the MAC. Without keys,
    signature and MAC are random bytes of the right size. alert_code: the event code alerts carry
    (any of specs/alerts.gbspec when left out).
    """
    s = spec_set or specs()
    codes = _codes_for(use_case, message_code, kind, s)
    if alert_code is not None:
        carriers = [c for c in codes if _alert_families(c, alert_code, s)]
        if not carriers:
            raise ValueError(f"no {'message code' if message_code is None else f'0x{message_code:04X}'} of the "
                             f"tables carries alert 0x{alert_code:04X} (specs/alerts.gbspec carriers and payloads)")
        codes = carriers

    @st.composite
    def build(draw) -> bytes:
        code = draw(st.sampled_from(codes))
        facts = tables.code_facts(code, s)
        knd = kind or draw(st.sampled_from(facts.kinds))
        families = _alert_families(code, alert_code, s) if alert_code is not None and knd == "alert" else facts.families
        family = draw(st.sampled_from(families))
        counter = draw(_COUNTER)
        remote = parties.supplier if parties else draw(_EUI)
        device = parties.device if parties else draw(_EUI)
        orig, recip = (remote, device) if knd == "command" else (device, remote)
        orig = originator if originator is not None else orig
        recip = recipient if recipient is not None else recip
        if family == "dlms":
            content = draw(_dlms_payload(knd, code, counter, s, alert_code, (orig, recip),
                                         _cipher(parties, orig, recip, counter)))
        elif family == "gbz":
            content = draw(_gbz_payload(knd, code, s, alert_code, _cipher(parties, orig, recip, counter)))
        else:
            content = draw(_asn1_payload(knd, code, s, alert_code))
        env = builder.Envelope(knd, counter, orig, recip, code)
        apdu = builder.general_signing(env, content, b"")
        if knd in facts.signed:
            key = signed_by or (parties.signing_key(orig) if parties else None)
            if key is not None:
                from gbcs.crypto import sign_precommand
                apdu = sign_precommand(apdu[:-1], key)
            else:
                size = crypto_facts().signature_size
                apdu = apdu[:-1] + bytes([size]) + draw(st.binary(min_size=size, max_size=size))
        if knd in facts.unmacd:
            return apdu
        return _mac(draw, apdu, parties, mac_keys)
    return build()


def _alert_families(code: int, alert_code: int, s: SpecSet) -> tuple[str, ...]:
    """The payload families in which message code `code` carries alert `alert_code`: the alert
    table allows it, and the family has an alert code field (ASN.1 only where a type has one)."""
    facts = tables.code_facts(code, s)
    if "alert" not in facts.kinds:
        return ()
    return tuple(f for f in facts.families if alert_code in facts.alert_codes.get(f, ())
                 and (f != "asn1" or _asn1.asn1_type_for(s, code, tables.KINDS.index("alert") + 1) is not None))


def _cipher(parties: Parties | None, originator: bytes, recipient: bytes, counter: int):
    """Encrypt a payload part as the originator does for the recipient, when parties hold the keys."""
    if parties is None or (recipient, "ka") not in parties.keys or (originator, "ka") not in parties.keys:
        return None
    from gbcs.crypto import encrypt_payload_part, payload_encryption_key
    key = payload_encryption_key(parties.keys[(recipient, "ka")], parties.keys[(originator, "ka")].public_key(),
                                 originator=originator, counter=counter, recipient=recipient)
    return lambda plaintext: encrypt_payload_part(key, originator, plaintext)


def _mac(draw, apdu: bytes, parties: Parties | None, mac_keys) -> bytes:
    from gbcs.crypto import mac_wrap_with_keys, mac_wrap_with_keystore
    keys = mac_keys if mac_keys is not None else (parties.keystore if parties else None)
    if keys is None:
        tag = crypto_facts().tag_length
        return builder.mac_wrap(apdu, draw(st.binary(min_size=tag, max_size=tag)))
    if isinstance(keys, Keystore):
        return mac_wrap_with_keystore(apdu, keys, acb=parties.acb if parties else None)
    if not (isinstance(keys, tuple) and len(keys) == 2):
        raise TypeError("mac_keys is a Keystore or a (private KA key, peer public KA key) pair")
    private, public = keys
    return mac_wrap_with_keys(apdu, private, public)


def alerts(code: int | None = None, *, message_code: int | None = None, parties: Parties | None = None,
           signed_by: ec.EllipticCurvePrivateKey | None = None, mac_keys=None,
           spec_set: SpecSet | None = None) -> st.SearchStrategy[bytes]:
    """Alerts carrying alert code `code` (any of the alert_codes table when left out), in the
    alert message codes of the tables (or `message_code`)."""
    s = spec_set or specs()
    if code is not None and code not in s.get("alert_codes", "gbcs").by_key:
        raise ValueError(f"alert code 0x{code:04X} is not in specs/alerts.gbspec")
    return messages(kind="alert", message_code=message_code, alert_code=code, parties=parties,
                    signed_by=signed_by, mac_keys=mac_keys, spec_set=s)
