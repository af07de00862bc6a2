"""decode(data) -> Message and encode(message) -> bytes: the public entry points.

The envelope walk follows GBCS Section 4 as laid out in the struct items of
specs/envelope.gbspec (walked by gbcs/wire/layout.py; the limits, the other-information parts
chosen by length and GBT reassembly are Python here): an optional
MAC header (General-Ciphering, tag DD), the grouping header (General-Signing, tag DF), the
content, the signature field and the MAC; or a sequence of GBT blocks (DD with a transaction
id) that carry such a message in pieces.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass

from gbcs.errors import ConstraintError, DecodeError, GbcsError, LengthError, TruncatedError, UnknownCodeError
from gbcs.message import Message, Node
from gbcs.payload.context import PayloadContext
from gbcs.payload.dispatch import decode_payload, payload_family
from gbcs.spec import specs as _specs
from gbcs.spec.at_hand import AtHand
from gbcs.spec.load import SpecSet
from gbcs.wire.codecs import encode_leaf, universal_tag
from gbcs.wire.backend import Walker
from gbcs.wire.layout import compiled, struct_size
from gbcs.wire.timefmt import dlms_datetime_text

class _Envelope:
    """Facts from specs/envelope.gbspec, resolved once per SpecSet."""

    def __init__(self, s: SpecSet):
        def values(enum: str) -> dict[int, str]:
            return {r.cells["value"]: r.cells["name"] for r in s.enum(enum).rows}
        self.specs = s
        self.mac_header_layout = compiled(s, "mac_header")
        self.security_header_layout = compiled(s, "security_header")
        self.grouping_header_layout = compiled(s, "grouping_header")
        self.other_information_code_layout = compiled(s, "other_information_code")
        self.other_information_srp_id_layout = compiled(s, "other_information_srp_id")
        self.other_information_srp_counter_layout = compiled(s, "other_information_srp_counter")
        self.other_information_soc_layout = compiled(s, "other_information_soc")
        self.content_length_layout = compiled(s, "content_length")
        self.signature_layout = compiled(s, "signature")
        self.mac_layout = compiled(s, "mac")
        self.gbt_routing_header_layout = compiled(s, "gbt_routing_header")
        self.gbt_routing_tail_layout = compiled(s, "gbt_routing_tail")
        self.gbt_header_layout = compiled(s, "gbt_header")
        self.tags = {v: k for k, v in values("apdu_tag").items()}
        self.cra = values("cra_flag")
        self.cra_codes = {v: k for k, v in self.cra.items()}
        self.other_info_forms = values("other_information_form")
        codes = s.get("message_codes", "gbcs").by_key
        size = {name: row.cells["bytes"] for name, row in s.get("envelope_size", "gbcs").by_key.items()}
        self.transaction_id = size["transaction_id"]
        self.security_header, self.mac = size["security_header"], size["mac"]
        self.message_code_size = struct_size(s, "other_information_code")
        self.srp_id_size = struct_size(s, "other_information_srp_id")
        self.srp_counter_size = struct_size(s, "other_information_srp_counter")
        self.soc_size = struct_size(s, "other_information_soc")
        self.certificate_tag = universal_tag(s, "SEQUENCE")     # a DER certificate starts with it
        self.gbt_bits = {v: k for k, v in values("gbt_block_control").items()}
        self.gbt_bit_titles = [(r.cells["value"], r.cells["title"].lower()) for r in s.enum("gbt_block_control").rows]
        self.gbt_window_mask = 0xFF & ~sum(self.gbt_bits.values())

        self.code_names = {code: (row.cells["use_case"], row.cells["title"]) for code, row in codes.items()}
        code_texts = {code: " ".join(filter(None, names)) for code, names in self.code_names.items()}

        def message_code(value, scope):
            return code_texts.get(value)

        def block_control(value, scope):
            parts = [title for bit, title in self.gbt_bit_titles if value & bit]
            return ", ".join(parts + [f"window {value & self.gbt_window_mask}"])

        self.code_hooks = {"message_code": message_code}
        self.gbt_hooks = {"block_control": block_control}


_ENVELOPE = AtHand(_Envelope)


def _envelope(s: SpecSet) -> _Envelope:
    return _ENVELOPE.of(s)


# -- the envelope ----------------------------------------------------------------------

def _mac_header(w: Walker, env: _Envelope) -> int:
    """MAC header up to and including the security header (struct mac_header).

    Leaves the walker limited to the ciphered content; returns the outer limit.
    """
    w.open_group("mac_header")
    length = env.mac_header_layout.walk(w)["ciphered_content_length"]
    length_at = w.last_start
    outer = w.push_limit(length, "ciphered_content_length", length_at)
    if length < env.security_header + env.mac:
        raise LengthError(f"ciphered content of {length} bytes cannot hold a security header and a MAC",
                          length_at, w.path("ciphered_content_length"), actual=length)
    env.security_header_layout.walk_group(w)
    w.close_group()
    return outer


def _routing(values: dict) -> tuple[int, int, bytes, bytes, str | None]:
    """CRA flag, counter, originator, recipient and date-time text of a walked grouping_header."""
    raw = values["date_time"]["value"]
    return (values["transaction_id"]["cra_flag"], values["transaction_id"]["originator_counter"],
            values["originator"]["id"], values["recipient"]["id"],
            dlms_datetime_text(raw) if raw is not None else None)


def _other_information_start(w: Walker, env: _Envelope, hooks: dict | None) -> tuple[int, int, int]:
    """Its length (limiting the walker) and message code; returns (code, length, outer limit)."""
    length_at = w.pos
    length = w.ber_length("length")
    outer = w.push_limit(length, "length", length_at)
    if length < env.message_code_size:
        raise LengthError(f"is {length} bytes; it must hold at least the {env.message_code_size}-byte message "
                          "code", length_at, w.path("length"), expected=env.message_code_size, actual=length)
    code = env.other_information_code_layout.walk(w, hooks)["message_code"]
    return code, length, outer


def _other_information(w: Walker, env: _Envelope, info: _Info) -> int:
    w.open_group("other_information")
    length_at = w.pos
    code, length, outer = _other_information_start(w, env, env.code_hooks)
    s = env.specs
    if w.remaining:
        form = env.other_info_forms
        if w.remaining < env.srp_id_size:
            raise LengthError(f"length {length} is not one GBCS allows ({', '.join(map(str, sorted(form)))}, "
                              "or more with a certificate)", length_at, w.path("length"), actual=length)
        info.srp_id = env.other_information_srp_id_layout.walk(w)["supplementary_remote_party_id"]
    if w.remaining:
        if w.remaining < env.srp_counter_size:
            raise LengthError(f"length {length} leaves {w.remaining} bytes where an {env.srp_counter_size}-byte "
                              "counter belongs", length_at, w.path("length"), actual=length)
        info.srp_counter = env.other_information_srp_counter_layout.walk(w)["supplementary_remote_party_counter"]
    if w.remaining:
        # A DER certificate (30 82 …) may follow the SRP counter directly (as RTDS shows);
        # otherwise the supplementary originator counter comes first.
        if not (w.peek(0) == env.certificate_tag and w.remaining > env.soc_size):
            if w.remaining < env.soc_size:
                raise LengthError(f"length {length} leaves {w.remaining} bytes where an {env.soc_size}-byte "
                                  "counter belongs", length_at, w.path("length"), actual=length)
            info.soc = env.other_information_soc_layout.walk(w)["supplementary_originator_counter"]
    if w.remaining:
        from gbcs.payload.asn1 import decode_der
        decode_der(w, "certificate", "Certificate")
    w.pop_limit(outer, None)
    w.close_group()
    return code


class _Info:
    """What the envelope walk learns of one message, for its Message (an extension type in the
    compiled twin: C attribute slots, not a dict). Extras not in the message stay _ABSENT."""
    __slots__ = ("payloads", "cra", "counter", "originator", "recipient", "date_time", "message_code",
                 "content_length_at", "content_start", "content_end", "family", "notes", "signature",
                 "mac", "srp_id", "srp_counter", "soc")

    def __init__(self, payloads: bool):
        self.payloads = payloads
        self.cra = self.counter = self.originator = self.recipient = self.date_time = None
        self.message_code = self.family = None
        self.content_length_at = self.content_start = self.content_end = 0
        self.notes = self.signature = self.mac = self.srp_id = self.srp_counter = self.soc = _ABSENT

    def extras(self) -> dict:
        out = {}
        for key, value in (("srp_id", self.srp_id), ("srp_counter", self.srp_counter), ("soc", self.soc),
                           ("notes", self.notes), ("signature", self.signature), ("mac", self.mac)):
            if value is not _ABSENT:
                out[key] = value
        out["content_start"] = self.content_start
        out["content_end"] = self.content_end
        return out


_ABSENT = object()


def _grouping_header(w: Walker, env: _Envelope, info: _Info) -> int:
    """Walk the grouping header up to the content length; returns the content length."""
    w.open_group("grouping_header")
    head = env.grouping_header_layout.walk(w)
    info.cra, info.counter, info.originator, info.recipient, info.date_time = _routing(head)
    info.message_code = _other_information(w, env, info)
    info.content_length_at = w.pos
    length = env.content_length_layout.walk(w)["content_length"]
    w.close_group()
    return length


def _signing_apdu(w: Walker, env: _Envelope, info: _Info, in_mac: bool) -> None:
    """General-Signing APDU: grouping header, content, signature field (if any)."""
    content_length = _grouping_header(w, env, info)
    outer = w.push_limit(content_length, "grouping_header.content_length", info.content_length_at)
    w.open_group("payload")
    info.content_start = w.pos
    notes: list = []
    if not content_length:
        info.family = None
    elif info.payloads:
        ctx = PayloadContext(env.specs, info.message_code, info.cra, info.counter,
                             info.originator, info.recipient, notes)
        info.family = decode_payload(w, ctx)
    else:                                   # envelope only: the content stays one opaque leaf
        info.family = payload_family(w.peek(0), w.peek(1), env.specs)
        w.rest("content", codec="unparsed")
    info.notes = notes
    w.close_group()
    w.pop_limit(outer, "payload")
    info.content_end = w.pos
    # What follows the content: nothing (pre-command), 00 (unsigned) or 40 + r||s.
    if w.remaining == 0 and not in_mac and info.cra == env.cra_codes["command"]:
        info.signature = None         # a pre-command: the field is added when it is signed
        return
    value = env.signature_layout.walk_group(w)["value"]
    info.signature = b"" if value is None else value


def _message_kind(info: _Info, mac: bool, env: _Envelope) -> str:
    kind = env.cra[info.cra]
    if kind == "command" and not mac and (info.signature is _ABSENT or not info.signature):
        return "precommand"
    return kind


def _decode_plain(data: bytes, s: SpecSet, payloads: bool = True) -> Message:
    env = _envelope(s)
    w = Walker(data)
    info = _Info(payloads)
    first = w.peek(0)
    if first is None:
        raise TruncatedError("the input is empty; give a GBCS message (hex, base64 or binary)", 0,
                             "message", needed=1, available=0)
    ciphering, signing = env.tags["general_ciphering"], env.tags["general_signing"]
    mac = first == ciphering
    if mac:
        outer = _mac_header(w, env)
        inner_outer = w.push_limit(w.remaining - env.mac, "grouping_header")
        _signing_apdu(w, env, info, in_mac=True)
        w.pop_limit(inner_outer, "signature")
        info.mac = env.mac_layout.walk(w)["mac"]
        w.pop_limit(outer, "message")
    elif first == signing:
        _signing_apdu(w, env, info, in_mac=False)
    else:
        raise UnknownCodeError(f"a GBCS message starts with {ciphering:02X} (MAC header) or {signing:02X} "
                               f"(grouping header), not {first:02X}; check that the input is a whole message",
                               0, "tag", actual=first)
    if w.pos != len(data):
        left = len(data) - w.pos
        raise LengthError(f"{left} byte{'s' if left != 1 else ''} after the end of the message — "
                          "trailing garbage, or two messages run together", w.pos, "message",
                          rule="GBCS-D005", actual=left)
    w.root.end = w.pos
    use_case, message_name = env.code_names.get(info.message_code, (None, None))
    return Message(data, w.root, _message_kind(info, mac, env), info.cra, info.originator, info.recipient,
                   info.counter, info.date_time, info.message_code, use_case, message_name, info.family,
                   None, info.extras())


# -- GBT ----------------------------------------------------------------------------------

def is_gbt_block(data: bytes, spec_set: SpecSet | None = None) -> bool:
    """True when the bytes start like a General-Block-Transfer block (DD with a transaction id)."""
    return _starts_gbt(data, _envelope(spec_set or _specs()))


def _starts_gbt(data: bytes, env: _Envelope) -> bool:
    return len(data) >= 2 and data[0] == env.tags["general_ciphering"] and data[1] == env.transaction_id


def _gbt_block(w: Walker, env: _Envelope, index: int) -> dict:
    s = env.specs
    w.open_group(f"blocks[{index}]")
    w.open_group("routing_header")
    cra, counter, originator, recipient, _ = _routing(env.gbt_routing_header_layout.walk(w))
    w.open_group("other_information")
    code, _, outer = _other_information_start(w, env, None)
    w.pop_limit(outer, None)
    w.close_group()
    length = env.gbt_routing_tail_layout.walk(w)["ciphered_content_length"]
    length_at = w.last_start
    w.close_group()
    outer = w.push_limit(length, "ciphered_content_length", length_at)
    env.security_header_layout.walk_group(w)
    w.open_group("gbt_header")
    header = env.gbt_header_layout.walk(w, env.gbt_hooks)
    data_at = w.last_start
    w.close_group()
    control, number, data_len = header["block_control"], header["block_number"], header["block_data_length"]
    w.need(data_len, "block_data")
    block = w.bytes("block_data", data_len)
    if w.remaining == env.mac:   # whether blocks carry a MAC is not settled; keep it if present
        env.mac_layout.walk(w)
    w.pop_limit(outer, None)
    w.close_group()
    last = env.gbt_bits["last_block"]
    return {"key": (originator, recipient, cra, counter), "code": code, "number": number,
            "last": bool(control & last), "data": block, "data_at": data_at}


class GbtProgress:
    """Which blocks of one GBT message have arrived, updated in constant time per block.

    Complete once blocks 1..last all carry data, `last` being the first block with the
    last-block flag; blocks without data (acknowledgements) and repeats change nothing.
    """

    def __init__(self) -> None:
        self.numbers: set[int] = set()
        self.last: int | None = None
        self._held_up_to_last = 0          # distinct numbers 1..last seen so far

    def add(self, number: int, last: bool, has_data: bool) -> None:
        if not has_data:
            return
        if number not in self.numbers:
            self.numbers.add(number)
            if self.last is not None and 1 <= number <= self.last:
                self._held_up_to_last += 1
        if last and self.last is None:
            self.last = number
            self._held_up_to_last = sum(1 for n in self.numbers if 1 <= n <= number)

    @property
    def complete(self) -> bool:
        return self.last is not None and self._held_up_to_last == self.last

    def error(self, offset: int) -> TruncatedError:
        """Why the message is not complete yet (GBCS-D010)."""
        if self.last is None:
            return TruncatedError("no block carries the last-block flag; give every block of the message",
                                  offset, "gbt", needed=1, available=0, rule="GBCS-D010")
        missing = [n for n in range(1, self.last + 1) if n not in self.numbers]
        return TruncatedError(f"GBT block{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing[:10]))} "
                              "missing; give every block of the message", offset, "gbt",
                              needed=len(missing), available=0, rule="GBCS-D010")


@dataclass(frozen=True, slots=True)
class GbtBlock:
    """The routing facts of one GBT block: enough to reassemble without decoding twice."""
    key: tuple                 # (originator, recipient, CRA flag, counter): one message's blocks share it
    number: int
    last: bool
    has_data: bool


def _walk_gbt_blocks(data: bytes, env: _Envelope) -> tuple[Walker, list[dict]]:
    w = Walker(data)
    w.open_group("gbt")
    blocks = []
    while w.remaining:
        if w.peek(0) != env.tags["general_ciphering"] or w.peek(1) != env.transaction_id:
            raise ConstraintError(f"expected another GBT block ({env.tags['general_ciphering']:02X} "
                                  f"{env.transaction_id:02X} …) here; a block sequence must hold only blocks "
                                  "of one message", w.pos, w.path("blocks"))
        blocks.append(_gbt_block(w, env, len(blocks)))
    w.close_group()
    return w, blocks


def read_gbt_blocks(data: bytes, *, spec_set: SpecSet | None = None) -> list[GbtBlock]:
    """The blocks in `data` (one or more whole GBT blocks), without reassembling them.

    Raises only GbcsError, like decode()."""
    _, blocks = _guarded(_walk_gbt_blocks, bytes(data), _envelope(spec_set or _specs()))
    return [GbtBlock(b["key"], b["number"], b["last"], bool(b["data"])) for b in blocks]


def _decode_gbt(data: bytes, s: SpecSet, payloads: bool = True) -> Message:
    env = _envelope(s)
    w, blocks = _walk_gbt_blocks(data, env)
    key = blocks[0]["key"]
    for b in blocks:
        if b["key"] != key:
            raise ConstraintError("blocks of different messages (originator, recipient or counter "
                                  "differ) in one input; give one message's blocks at a time",
                                  b["data_at"], "gbt.blocks")
    by_number: dict[int, dict] = {}
    progress = GbtProgress()
    for b in blocks:
        if b["data"]:
            by_number.setdefault(b["number"], b)
        progress.add(b["number"], b["last"], bool(b["data"]))
    if not progress.complete:
        raise progress.error(len(data))
    carried = b"".join(by_number[n]["data"] for n in range(1, progress.last + 1))
    inner = _decode_plain(carried, s, payloads)
    w.root.end = len(data)
    return Message(data=data, root=w.root, kind=inner.kind, cra_flag=inner.cra_flag,
                   originator=inner.originator, recipient=inner.recipient,
                   originator_counter=inner.originator_counter, date_time=inner.date_time,
                   message_code=inner.message_code, use_case=inner.use_case,
                   message_name=inner.message_name, payload_type=inner.payload_type, inner=inner,
                   extras={"gbt_blocks": len(blocks)})


# -- public --------------------------------------------------------------------------------

def decode(data: bytes, *, spec_set: SpecSet | None = None, payloads: bool = True) -> Message:
    """Decode one GBCS message (or the GBT blocks of one message) into a Message tree.

    Raises only GbcsError subclasses; a DecodeError names the byte offset and field path.
    With payloads=False only the envelope is walked and the content is one opaque leaf, so
    a message whose payload is malformed can still have its signature and MAC checked.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    s = spec_set or _specs()
    return _guarded(_decode_gbt if _starts_gbt(data, _envelope(s)) else _decode_plain, data, s, payloads)


def _guarded(walk, *args):
    """walk(*args), so that only GbcsError leaves a decode; GC paused while walking.

    The cyclic GC rescans every live node each generation-2 pass, which makes a large tree
    cost more than linear time to build; trees hold no cycles, so pause it while walking.
    (A plain function, not a context manager: that costs a generator per message.)"""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return walk(*args)
    except GbcsError:
        raise
    except RecursionError:
        raise ConstraintError("nesting too deep to decode", 0, "message", rule="GBCS-D006") from None
    except Exception as exc:   # a bug here must still reach the user as a GbcsError
        raise DecodeError(f"internal decoder error {type(exc).__name__}: {exc} — please report it "
                          "with this input", 0, "message", rule="GBCS-D999") from exc
    finally:
        if gc_was_enabled:
            gc.enable()


def encode(message: Message | Node) -> bytes:
    """The bytes of a message tree: every leaf re-encoded from its value and codec."""
    root = message.root if isinstance(message, Message) else message
    return b"".join(encode_leaf(n.codec, n.value, n.end - n.start) for n in root.leaves())
