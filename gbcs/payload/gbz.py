"""GBZ (ZigBee) payloads: the GBZ header, its components (extended header + ZCL frame), and
GBZ alerts. Every code, name and payload layout comes from specs/zigbee.gbspec; ZCL payloads
are walked by gbcs/wire/layout.py from the command's `struct` item.

    decode_gbz(w, ctx)                      the content of a message (starts 01 09)
    decode_zcl_payload(w, ctx, cluster=, frame_control=, command_id=)
                                            one ZCL payload, e.g. a decrypted one

Encrypted components keep their ciphertext opaque here; gbcs.crypto decrypts and calls
decode_zcl_payload on the plaintext. Builders at the end make GBZ content from Python
values (ZCL payloads from field dicts through the construct Structs of gbcs.compile).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from gbcs.errors import EncodeError, LengthError, SpecError
from gbcs.payload.context import PayloadContext
from gbcs.payload.units import annotate_zse, has_zse_scaling
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet
from gbcs.wire.layout import bits_text, compiled, struct_size, walk_struct
from gbcs.wire.timefmt import EPOCH_2000

__all__ = ["decode_gbz", "decode_zcl_payload", "command_for", "zcl_commands", "ZclCommand", "frame_control_text",
           "control_text", "build_frame_control", "build_zcl_payload", "build_zcl_frame", "build_component",
           "build_encrypted_component", "build_gbz", "build_gbz_alert", "build_alert_body",
           "build_read_attributes", "build_read_attributes_response", "build_default_response",
           "utc2000_seconds", "NOT_IN_SPEC"]

NOT_IN_SPEC = "not in specs/zigbee.gbspec"
MAX_REMEMBERED = 4096    # _Command entries and payload hooks kept (mutated input must not grow them)

@dataclass(frozen=True)
class ZclCommand:
    """One row of the zcl_command table."""
    cluster: int | None            # None: a general (profile-wide) command
    direction: int | None          # 0 client to server, 1 server to client, None: either
    id: int
    name: str
    title: str
    layout: str | None


class _Command:
    """What decoding one ZCL command needs (from its cluster, frame control and command id),
    worked out once: the spec's command, the program and meanings of its payload."""
    __slots__ = ("cluster", "command_id", "cmd", "title", "program", "hooks", "zse", "what", "encrypted_what")


class _Facts:
    """What specs/zigbee.gbspec says, indexed once per SpecSet."""

    def __init__(self, s: SpecSet):
        self.specs = s

        def enum(name: str) -> dict[int, str]:
            return {r.cells["value"]: r.cells["name"] for r in s.enum(name).rows}

        def titles(name: str) -> dict[int, str]:
            return {r.cells["value"]: r.cells["title"] or r.cells["name"] for r in s.enum(name).rows}

        self.profiles = titles("gbz_profile")
        self.bits = {v: k for k, v in enum("gbz_control_bit").items()}
        self.bit_titles = titles("gbz_control_bit")
        self.fc_bits = {v: k for k, v in enum("zcl_frame_control_bit").items()}
        self.fc_bit_titles = titles("zcl_frame_control_bit")
        self.frame_types = titles("zcl_frame_type")
        self.frame_type_codes = {v: k for k, v in enum("zcl_frame_type").items()}
        self.directions = {v: k for k, v in enum("zcl_direction").items()}
        self.direction_titles = titles("zcl_direction")
        self.security_controls = titles("gbz_security_control")
        self.cluster_titles = titles("zcl_cluster")
        self.cluster_codes = {v: k for k, v in enum("zcl_cluster").items()}
        self.commands: dict[tuple, ZclCommand] = {}
        for item in s.of_kind("zcl_command"):
            for r in item.rows:
                c = r.cells
                cluster = self.cluster_codes[c["cluster"]] if c["cluster"] is not None else None
                direction = self.directions[c["direction"]] if c["direction"] is not None else None
                cmd = ZclCommand(cluster, direction, c["id"], c["name"], c["title"], c["layout"])
                self.commands[(cluster, direction, c["id"])] = cmd
        self.attributes: dict[tuple[int, int], object] = {}
        for item in s.of_kind("zcl_attribute"):
            for r in item.rows:
                self.attributes[(self.cluster_codes[r.cells["cluster"]], r.cells["id"])] = r
        self.data_types = {}
        for item in s.of_kind("zcl_data_type"):
            for r in item.rows:
                self.data_types[r.cells["name"]] = r.cells["code"]
        self.alert_bodies = {}
        for item in s.of_kind("gbz_alert_body"):
            self.alert_bodies.update(item.by_key)
        self.alert_titles = {code: r.cells["title"] for code, r in s.get("alert_codes", "gbcs").by_key.items()}
        self.security_header_size = struct_size(s, "gbz_security_header")
        self.header, self.alert_header = compiled(s, "gbz_header"), compiled(s, "gbz_alert_header")
        self.component_header = compiled(s, "gbz_component_header")
        self.from_date_time = compiled(s, "gbz_from_date_time")
        self.additional_header = compiled(s, "gbz_additional_header")
        self.zcl_header = compiled(s, "zcl_header")
        self.ciphered_length = compiled(s, "gbz_ciphered_length")
        self.security_header = compiled(s, "gbz_security_header")
        self.tag_size = s.get("envelope_size", "gbcs").by_key["mac"].cells["bytes"]   # the truncated GCM tag
        self.alert_cra = next(r.cells["value"] for r in s.enum("cra_flag").rows if r.cells["name"] == "alert")
        self.bit_pairs = tuple(self.bit_titles.items())
        self.frame_type_mask = next(r.cells["value"] for r in s.enum("zcl_frame_control_field").rows
                                    if r.cells["name"] == "frame_type")
        self.fc_reserved = 0xFF & ~(self.frame_type_mask | sum(self.fc_bits.values()))
        self.zcl_payload_hooks: dict[tuple, dict] = {}
        self.frame_control_texts: dict[int, str] = {fc: _frame_control_text(fc, self) for fc in range(0x100)}
        # the ZCL header's frame control means the same in every cluster; its command id's
        # meaning needs the cluster, so _component gives it after the header (its last field)
        self.zcl_header_hooks = {"frame_control": self.frame_control_texts}
        last = self.zcl_header.ops[-1]
        if last.name != "command_id" or last.if_ref is not None or last.block is not None:
            raise SpecError("struct zcl_header must end with an unconditional command_id field")
        self.from_date_time_bit = self.bits["from_date_time"]
        self.encrypted_bit = self.bits["encrypted"]
        self.component_names = tuple(f"components[{i}]" for i in range(0x100))
        self.entries: dict[int, _Command] = {}

    def entry(self, cluster: int, frame_control: int, command_id: int) -> _Command:
        """The _Command of a ZCL header (one int-keyed look-up once seen)."""
        if 0 <= cluster <= 0xFFFF and 0 <= frame_control <= 0xFF and 0 <= command_id <= 0xFF:
            c, fc, cid = cluster, frame_control, command_id       # C integers in the compiled twin
            key = (c << 16) | (fc << 8) | cid
            e = self.entries.get(key)
            if e is None:
                e = self._entry(cluster, frame_control, command_id)
                if len(self.entries) >= MAX_REMEMBERED:
                    self.entries.clear()         # the triples real traffic uses come back at once
                self.entries[key] = e
            return e
        return self._entry(cluster, frame_control, command_id)

    def _entry(self, cluster: int, frame_control: int, command_id: int) -> _Command:
        e = _Command()
        cmd = self.command(cluster, frame_control, command_id)
        e.cluster, e.command_id, e.cmd = cluster, command_id, cmd
        e.title = cmd.title if cmd is not None else None
        e.encrypted_what = f"encrypted {cmd.title}" if cmd is not None else "encrypted ZCL payload"
        if cmd is not None and cmd.layout is not None:
            e.program = compiled(self.specs, cmd.layout)
            e.hooks = _zcl_hooks(self, cluster, frame_control)
            e.zse = has_zse_scaling(self.specs, cluster, command_id)
            e.what = None
        else:
            e.program, e.hooks, e.zse = None, None, False
            e.what = (f"payload layout of {cmd.title} {NOT_IN_SPEC}" if cmd is not None else
                      f"command 0x{command_id:02X} ({frame_control_text(frame_control, self.specs)}) of cluster "
                      f"0x{cluster:04X} {NOT_IN_SPEC}")
        return e

    def command(self, cluster: int, frame_control: int, command_id: int) -> ZclCommand | None:
        if frame_control & self.fc_bits["manufacturer_specific"]:
            return None                    # manufacturer-specific ids are the manufacturer's own
        frame_type = frame_control & self.frame_type_mask
        if frame_type == self.frame_type_codes["general"]:
            return self.commands.get((None, None, command_id))
        if frame_type == self.frame_type_codes["cluster_specific"]:
            direction = 1 if frame_control & self.fc_bits["server_to_client"] else 0
            return self.commands.get((cluster, direction, command_id))
        return None


_FACTS = AtHand(_Facts)


def _facts(s: SpecSet | None) -> _Facts:
    if s is None:
        from gbcs.spec import specs
        s = specs()
    return _FACTS.of(s)


def zcl_commands(specs: SpecSet | None = None) -> list[ZclCommand]:
    """Every command the spec names, general ones first."""
    return sorted(_facts(specs).commands.values(), key=lambda c: (c.cluster is not None, c.cluster or 0,
                                                                  c.direction or 0, c.id))


def command_for(cluster: int, frame_control: int, command_id: int, specs: SpecSet | None = None) -> ZclCommand | None:
    """The spec's command for a ZCL header, or None when the spec does not know it."""
    return _facts(specs).command(cluster, frame_control, command_id)


# -- meanings ----------------------------------------------------------------------------

def control_text(control: int, specs: SpecSet | None = None) -> str:
    """The GBZ extended-header control byte in words."""
    return bits_text(control, _facts(specs).bit_pairs)


def frame_control_text(frame_control: int, specs: SpecSet | None = None) -> str:
    f = _facts(specs)
    text = f.frame_control_texts.get(frame_control)
    if text is None:
        text = f.frame_control_texts[frame_control] = _frame_control_text(frame_control, f)
    return text


def _frame_control_text(frame_control: int, f: _Facts) -> str:
    frame_type = frame_control & f.frame_type_mask
    parts = [f.frame_types.get(frame_type, f"reserved frame type {frame_type}")]
    parts.append(f.direction_titles[1 if frame_control & f.fc_bits["server_to_client"] else 0])
    for bit in (f.fc_bits["manufacturer_specific"], f.fc_bits["disable_default_response"]):
        if frame_control & bit:
            parts.append(f.fc_bit_titles[bit])
    unknown = frame_control & f.fc_reserved
    if unknown:
        parts.append(f"reserved bits 0x{unknown:02X}")
    return ", ".join(parts)


def _zcl_hooks(f: _Facts, cluster: int, frame_control: int) -> dict:
    """Meanings of attribute ids and answered command ids in a ZCL payload (made once per pair)."""
    hooks = f.zcl_payload_hooks.get((cluster, frame_control))
    if hooks is None:
        if len(f.zcl_payload_hooks) >= MAX_REMEMBERED:
            f.zcl_payload_hooks.clear()
        hooks = f.zcl_payload_hooks[cluster, frame_control] = _new_zcl_hooks(f, cluster, frame_control)
    return hooks


def _new_zcl_hooks(f: _Facts, cluster: int, frame_control: int) -> dict:
    attribute_titles = {attribute: row.cells["title"] for (c, attribute), row in f.attributes.items()
                        if c == cluster}
    # A Default Response answers a command sent the other way (zigbee.ts looks it up
    # among the cluster-specific commands of the opposite direction).
    back = 0 if frame_control & f.fc_bits["server_to_client"] else 1
    answered_titles = {command: cmd.title for (c, direction, command), cmd in f.commands.items()
                       if c == cluster and direction == back}
    # value -> meaning dicts: the layout interpreter looks them up itself
    return {"attribute_id": attribute_titles, "command_id": answered_titles}


def _alert_hooks(f: _Facts) -> dict:
    def frame_control(value, scope):
        return frame_control_text(value, f.specs)

    def command(value, scope):
        cmd = f.command(scope.get("cluster_id", -1), scope.get("frame_control", 0), value)
        return cmd.title if cmd is not None else None

    return {"frame_control": frame_control, "command_id": command}


# -- decoding ---------------------------------------------------------------------------

def decode_gbz(w, ctx: PayloadContext) -> None:
    """A GBZ payload filling the walker's frame: components, or an alert (CRA 3 / alert form)."""
    f = _facts(ctx.specs)
    count = f.header.walk(w)["component_count"]
    if ctx.cra_flag == f.alert_cra or (ctx.message_code is not None and ctx.message_code in f.alert_bodies):
        _alert(w, ctx, f)
    else:
        w.open_group("components")
        names = f.component_names
        for i in range(count):
            _component(w, ctx, f, names[i] if i < len(names) else f"components[{i}]")
        w.close_group()
        if w.remaining:
            raise LengthError(f"{w.remaining} bytes follow the {count} component{'s' if count != 1 else ''} "
                              "the component count announces — the count or a component length is wrong",
                              w.pos, w.path("components"), rule="GBCS-D005", expected=count, actual=w.remaining)


def _alert(w, ctx: PayloadContext, f: _Facts) -> None:
    f.alert_header.walk(w)
    body = f.alert_bodies.get(ctx.message_code)
    if body is None:
        if w.remaining:
            text = f"alert body form for message code {_code(ctx.message_code)} {NOT_IN_SPEC}"
            w.rest("alert_body", codec="unparsed", meaning=text)
            ctx.notes.append(f"GBZ alert: {text}")
        return
    form = body.cells["form"]
    if form == "struct":
        walk_struct(w, f.specs, body.cells["layout"], "alert_body", meaning=body.cells["title"],
                    hooks=_alert_hooks(f))
    elif form == "component":
        w.open_group("components")
        _component(w, ctx, f, "components[0]")
        w.close_group()
    if w.remaining:
        raise LengthError(f"{w.remaining} bytes after the body of a {body.cells['title']} alert, which ends here",
                          w.pos, w.path("alert_body"), rule="GBCS-D005", actual=w.remaining)


def _code(code: int | None) -> str:
    return "(none)" if code is None else f"0x{code:04X}"


def _component(w, ctx: PayloadContext, f: _Facts, name: str) -> None:
    w.open_group(name)
    header = f.component_header.walk(w)
    control, cluster = header["control"], header["cluster_id"]
    outer = w.push_limit(header["length"], "length", w.last_start)
    if control & f.from_date_time_bit:
        f.from_date_time.walk(w)
    encrypted = control & f.encrypted_bit
    if encrypted:
        f.additional_header.read(w, "additional_header")
    zcl = f.zcl_header.walk_group(w, None, None, f.zcl_header_hooks)
    e = f.entry(cluster, zcl["frame_control"], zcl["command_id"])
    if e.title is not None:
        w.set_last_meaning(e.title)              # of the command id, the header's last field
    if encrypted:
        _ciphered(w, f, e.encrypted_what)
    else:
        _payload(w, ctx, f, e)
    w.pop_limit(outer, name)
    w.close_group()


def _ciphered(w, f: _Facts, what: str) -> None:
    w.open_group("ciphered_information")
    length = f.ciphered_length.walk(w)["length"]
    length_at = w.last_start
    header, tag = f.security_header_size, f.tag_size
    if length < header + tag:
        raise LengthError(f"ciphered information of {length} bytes cannot hold the {header}-byte "
                          f"security header and the {tag}-byte tag", length_at, w.path("length"),
                          actual=length)
    outer = w.push_limit(length, "length", length_at)
    f.security_header.read(w, "security_header")
    w.bytes("ciphertext", length - header - tag, meaning=what)
    w.bytes("tag", tag)
    w.pop_limit(outer, "ciphered_information")
    w.close_group()


def decode_zcl_payload(w, ctx: PayloadContext, cluster: int, frame_control: int, command_id: int) -> None:
    """The ZCL payload of one command, from w.pos to the end of the walker's frame.

    Commands the spec does not lay out keep their bytes as one `unparsed` leaf `zcl_payload`.
    """
    f = _facts(ctx.specs)
    _payload(w, ctx, f, f.entry(cluster, frame_control, command_id))


def _payload(w, ctx: PayloadContext, f: _Facts, e: _Command) -> None:
    if e.program is None:
        w.rest("zcl_payload", codec="unparsed", meaning=e.what)
        ctx.notes.append(f"GBZ: {e.what}")
        return
    e.program.read(w, "zcl_payload", e.title, e.hooks)
    if e.zse:
        annotate_zse(w.current.children[-1], f.specs, e.cluster, e.command_id)


# -- builders ---------------------------------------------------------------------------

def utc2000_seconds(value: int | datetime) -> int:
    """Seconds since 2000-01-01T00:00:00Z from an int (kept) or an aware/naive-UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int((value - EPOCH_2000).total_seconds())
    return int(value)


def build_frame_control(cluster_specific: bool, server_to_client: bool, *, disable_default_response: bool = False,
                        manufacturer_specific: bool = False, specs: SpecSet | None = None) -> int:
    f = _facts(specs)
    fc = f.frame_type_codes["cluster_specific" if cluster_specific else "general"]
    if server_to_client:
        fc |= f.fc_bits["server_to_client"]
    if disable_default_response:
        fc |= f.fc_bits["disable_default_response"]
    if manufacturer_specific:
        fc |= f.fc_bits["manufacturer_specific"]
    return fc


def build_zcl_payload(cluster: int, frame_control: int, command_id: int, fields: dict,
                      specs: SpecSet | None = None) -> bytes:
    """A ZCL payload from a field dict, built with the construct Struct of the command's layout."""
    from gbcs.compile import build_struct
    f = _facts(specs)
    cmd = f.command(cluster, frame_control, command_id)
    if cmd is None or cmd.layout is None:
        raise EncodeError(f"no payload layout for command 0x{command_id:02X} of cluster 0x{cluster:04X} "
                          f"({frame_control_text(frame_control, f.specs)}); give the payload as bytes")
    return build_struct(f.specs, cmd.layout, fields)


def _payload_bytes(cluster, frame_control, command_id, payload, specs) -> bytes:
    if isinstance(payload, dict):
        return build_zcl_payload(cluster, frame_control, command_id, payload, specs)
    return bytes(payload)


def _build(f: _Facts, layout: str, values: dict) -> bytes:
    from gbcs.compile import build_struct
    return build_struct(f.specs, layout, values)


def _zcl_header_bytes(frame_control: int, sequence: int, command_id: int, manufacturer_code: int | None,
                      f: _Facts) -> bytes:
    manufacturer_bit = f.fc_bits["manufacturer_specific"]
    if frame_control & manufacturer_bit:
        if manufacturer_code is None:
            raise EncodeError("the manufacturer-specific bit is set: give manufacturer_code")
    elif manufacturer_code is not None:
        raise EncodeError(f"manufacturer_code needs the manufacturer-specific frame control bit "
                          f"(0x{manufacturer_bit:02X})")
    return _build(f, "zcl_header", {"frame_control": frame_control, "manufacturer_code": manufacturer_code,
                                    "sequence_number": sequence, "command_id": command_id})


def build_zcl_frame(cluster: int, command_id: int, payload: bytes | dict = b"", *, frame_control: int,
                    sequence: int = 0, manufacturer_code: int | None = None,
                    specs: SpecSet | None = None) -> bytes:
    """ZCL header + payload (payload bytes, or a field dict built by the command's layout)."""
    f = _facts(specs)
    return (_zcl_header_bytes(frame_control, sequence, command_id, manufacturer_code, f)
            + _payload_bytes(cluster, frame_control, command_id, payload, specs))


def _extended_header(control: int, cluster: int, body: bytes, from_date_time, f: _Facts) -> bytes:
    if from_date_time is not None:
        control |= f.bits["from_date_time"]
        body = _build(f, "gbz_from_date_time", {"from_date_time": utc2000_seconds(from_date_time)}) + body
    if len(body) > 0xFFFF:
        raise EncodeError(f"a component body of {len(body)} bytes does not fit the 2-byte length")
    return _build(f, "gbz_component_header", {"control": control, "cluster_id": cluster, "length": len(body)}) + body


def build_component(cluster: int, command_id: int, payload: bytes | dict = b"", *, frame_control: int,
                    sequence: int = 0, control: int = 0, from_date_time: int | datetime | None = None,
                    manufacturer_code: int | None = None, specs: SpecSet | None = None) -> bytes:
    """One plaintext GBZ component: extended header + ZCL frame."""
    f = _facts(specs)
    if control & f.bits["encrypted"]:
        raise EncodeError("use build_encrypted_component for an encrypted component")
    frame = build_zcl_frame(cluster, command_id, payload, frame_control=frame_control, sequence=sequence,
                            manufacturer_code=manufacturer_code, specs=specs)
    return _extended_header(control, cluster, frame, from_date_time, f)


def build_encrypted_component(cluster: int, command_id: int, ciphertext: bytes, tag: bytes, *, frame_control: int,
                              sequence: int = 0, control: int = 0, frame_counter: int = 0,
                              additional_control: int = 0, security_control: int | None = None,
                              invocation_counter: int = 0, from_date_time: int | datetime | None = None,
                              manufacturer_code: int | None = None, specs: SpecSet | None = None) -> bytes:
    """An encrypted GBZ component wrapping given ciphertext and tag (no cryptography here)."""
    f = _facts(specs)
    if len(tag) != f.tag_size:
        raise EncodeError(f"the tag is {f.tag_size} bytes, not {len(tag)}")
    if security_control is None:                    # the one security control GBZ parts use
        security_control = next(iter(f.security_controls))
    header = _build(f, "gbz_security_header", {"security_control": security_control,
                                               "invocation_counter": invocation_counter})
    ciphered = header + bytes(ciphertext) + bytes(tag)
    body = (_build(f, "gbz_additional_header", {"control": additional_control, "frame_counter": frame_counter})
            + _zcl_header_bytes(frame_control, sequence, command_id, manufacturer_code, f)
            + _build(f, "gbz_ciphered_length", {"length": len(ciphered)}) + ciphered)
    return _extended_header(control | f.bits["encrypted"], cluster, body, from_date_time, f)


def build_gbz(components: list[bytes], *, mark_last: bool = True, specs: SpecSet | None = None) -> bytes:
    """GBZ content: profile id, component count, components (last-component bit set on the
    final one and cleared on the others unless mark_last is False)."""
    f = _facts(specs)
    if len(components) > 0xFF:
        raise EncodeError("at most 255 components fit the 1-byte count")
    last = f.bits["last_component"]
    parts = []
    for i, comp in enumerate(components):
        comp = bytes(comp)
        if mark_last and comp:
            first = (comp[0] | last) if i == len(components) - 1 else (comp[0] & ~last)
            comp = bytes([first]) + comp[1:]
        parts.append(comp)
    return _build(f, "gbz_header", {"component_count": len(components)}) + b"".join(parts)


def build_alert_body(message_code: int, fields: dict, specs: SpecSet | None = None) -> bytes:
    """The body of a struct-form GBZ alert (e.g. 0x00CD future-dated) from a field dict."""
    from gbcs.compile import build_struct
    f = _facts(specs)
    body = f.alert_bodies.get(message_code)
    if body is None or body.cells["form"] != "struct":
        raise EncodeError(f"message code {_code(message_code)} has no struct-form GBZ alert body")
    return build_struct(f.specs, body.cells["layout"], fields)


def build_gbz_alert(alert_code: int, timestamp: int | datetime, body: bytes | dict | None = None, *,
                    message_code: int | None = None, count: int | None = None,
                    specs: SpecSet | None = None) -> bytes:
    """GBZ alert content: profile, count, alert code, timestamp (BE), then the body.

    A dict body is built with the message code's struct layout; bytes are taken as they are
    (a component for GCS53: see build_component / build_encrypted_component). The count
    defaults to 0 without a body and 1 with one, as RTDS shows.
    """
    f = _facts(specs)
    if isinstance(body, dict):
        if message_code is None:
            raise EncodeError("a dict body needs the message code that picks its layout")
        body = build_alert_body(message_code, body, specs)
    body = bytes(body or b"")
    if count is None:
        count = 1 if body else 0
    return (_build(f, "gbz_header", {"component_count": count})
            + _build(f, "gbz_alert_header", {"alert_code": alert_code, "timestamp": utc2000_seconds(timestamp)})
            + body)


def build_read_attributes(attribute_ids: list[int], specs: SpecSet | None = None) -> bytes:
    """Read Attributes payload: the attribute ids."""
    from gbcs.compile import build_struct
    return build_struct(_facts(specs).specs, "zcl_read_attributes",
                        {"attributes": [{"attribute_id": a} for a in attribute_ids]})


def build_read_attributes_response(records: list[tuple], specs: SpecSet | None = None) -> bytes:
    """Read Attributes Response payload from (attribute id, status) or (id, 0, data type, value)
    records; the data type is a code or a name from the zcl_data_type table (e.g. "uint16")."""
    from gbcs.compile import build_struct
    f = _facts(specs)
    out = []
    for rec in records:
        attr, status = rec[0], rec[1]
        entry = {"attribute_id": attr, "status": status, "attribute": None}
        if status == 0:
            data_type, value = rec[2], rec[3]
            if isinstance(data_type, str):
                if data_type not in f.data_types:
                    raise EncodeError(f"no ZCL data type called {data_type!r}")
                data_type = f.data_types[data_type]
            entry["attribute"] = {"data_type": data_type, "value": value}
        out.append(entry)
    return build_struct(f.specs, "zcl_read_attributes_response", {"records": out})


def build_default_response(command_id: int, status: int, specs: SpecSet | None = None) -> bytes:
    from gbcs.compile import build_struct
    return build_struct(_facts(specs).specs, "zcl_default_response", {"command_id": command_id, "status": status})
