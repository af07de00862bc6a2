"""Look-ups the message rules derive from the spec tables (use cases, protection, payload
shapes, alerts, units), built once per SpecSet, plus small readers of the decoded tree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gbcs.crypto.locate import rows_with_name
from gbcs.message import Message, Node, tape_view
from gbcs.spec.load import SpecSet
from gbcs.wire.walker import V_BERLEN


@dataclass(frozen=True)
class Facts:
    codes: dict                  # message code -> message_codes row cells
    criticality: dict            # message type -> criticality
    protection: dict             # (criticality, cra name) -> {"mac": req, "signature": req}
    cra_names: dict              # CRA flag value -> name
    apdu_form: dict              # (family, cra name) -> apdu name
    dlms_apdu: dict              # DLMS APDU tag -> name
    asn1_types: dict             # message code -> {cra name: type name}
    dlms_targets: dict           # message code -> {(access, class, obis, member)}
    gbz_commands: dict           # (message code, cra name) -> {(cluster, frame, direction, command)}
    zcl_frame_types: dict        # frame type value -> name
    zcl_frame_type_mask: int     # the frame-type bits of a ZCL frame control
    zcl_directions: dict         # direction value -> name
    alerts: dict                 # alert code -> alert_codes row cells
    scaled: dict                 # (message code, cluster, command) -> zse_scaled_value cells
    scaled_any: dict             # (cluster, command) -> zse_scaled_value cells (first row)
    units: dict                  # ZSE unit of measure -> (name, title)
    signature_size: int          # bytes of an envelope signature (envelope_size)
    dlms_request_choices: dict   # DLMS request-spec choice value -> name
    zcl_server_to_client: int    # the direction bit of a ZCL frame control


def _facts(s: SpecSet) -> Facts:
    def enum(name):
        return {r.cells["value"]: r.cells["name"] for r in s.enum(name).rows}
    protection = {(r.cells["criticality"], r.cells["cra"]): {"mac": r.cells["mac"], "signature": r.cells["signature"]}
                  for r in s.get("protection", "gbcs").rows}
    asn1_types: dict = {}
    for r in s.get("asn1_dispatch", "gbcs").rows:
        asn1_types[r.cells["code"]] = {k: r.cells[k] for k in ("command", "response", "alert") if r.cells[k]}
    targets: dict = {}
    for r in s.get("dlms_access_shape", "gbcs").rows:
        c = r.cells
        targets.setdefault(c["code"], set()).add((c["access"], c["class_id"], c["obis"], c["member"]))
    gbz: dict = {}
    for r in s.get("gbz_command_shape", "gbcs").rows:
        c = r.cells
        gbz.setdefault((c["code"], c["cra"]), set()).add((c["cluster"], c["frame"], c["direction"], c["command"]))
    scaled, scaled_any = {}, {}
    for r in s.get("zse_scaled_value", "gbcs").rows:
        c = r.cells
        scaled[(c["code"], c["cluster"], c["command"])] = c
        scaled_any.setdefault((c["cluster"], c["command"]), c)
    return Facts(
        codes={code: row.cells for code, row in s.get("message_codes", "gbcs").by_key.items()},
        criticality={k: r.cells["criticality"] for k, r in s.get("message_type_class", "gbcs").by_key.items()},
        protection=protection,
        cra_names=enum("cra_flag"),
        signature_size=s.get("envelope_size", "gbcs").by_key["signature"].cells["bytes"],
        apdu_form={(r.cells["family"], r.cells["cra"]): r.cells["apdu"] for r in s.get("payload_apdu", "gbcs").rows},
        dlms_apdu=enum("dlms_apdu"),
        asn1_types=asn1_types,
        dlms_targets=targets,
        gbz_commands=gbz,
        zcl_frame_types=enum("zcl_frame_type"),
        zcl_frame_type_mask={v: k for k, v in enum("zcl_frame_control_field").items()}["frame_type"],
        zcl_directions=enum("zcl_direction"),
        alerts={code: row.cells for code, row in s.get("alert_codes", "gbcs").by_key.items()},
        scaled=scaled,
        scaled_any=scaled_any,
        units={r.cells["value"]: (r.cells["name"], r.cells["title"]) for r in s.enum("zse_unit_of_measure").rows},
        dlms_request_choices=enum("dlms_request_choice"),
        zcl_server_to_client={v: k for k, v in enum("zcl_frame_control_bit").items()}["server_to_client"],
    )


_LAST: tuple = (None, None)          # (SpecSet, its Facts): every check of every message asks


def facts(s: SpecSet) -> Facts:
    global _LAST
    last = _LAST
    if last[0] is s:
        return last[1]
    made = s.derived(_facts)
    _LAST = (s, made)
    return made


# -- reading the decoded tree ------------------------------------------------------------

def node_at(node: Node | None, *names: str) -> Node | None:
    """The node below `node` reached by the child names given (None where one is missing):
    find() without splitting a dotted path."""
    for name in names:
        if node is None:
            return None
        node = node.get(name)
    return node


def carried(message: Message) -> Message:
    """The GBCS message itself: for GBT-reassembled input, the message the blocks carry."""
    return message.inner if message.inner is not None else message


def has_mac(message: Message) -> bool:
    return message.root.get("mac_header") is not None


def signature_length(message: Message) -> int | None:
    """0x40 signed, 0 explicitly unsigned, None when there is no signature field (pre-command)."""
    node = node_at(message.root, "signature", "length")
    return None if node is None else node.value


def code_node(message: Message) -> Node | None:
    return node_at(message.root, "grouping_header", "other_information", "message_code")


def cra_name(message: Message, f: Facts) -> str | None:
    return f.cra_names.get(message.cra_flag)


def leaf_value(node: Node | None):
    """A leaf's value, or the `value` leaf of a DLMS typed-data group."""
    if node is None:
        return None
    if node.is_leaf:
        return node.value
    inner = node.get("value")
    return inner.value if inner is not None and inner.is_leaf else None


def alert_code(message: Message) -> tuple[int, Node] | None:
    """The alert code a payload carries (GBZ header, DLMS alert structure or ASN.1 alert)."""
    payload = message.root.get("payload")
    if payload is None:
        return None
    for node in nodes_named(payload, _is_alert_code):
        value = leaf_value(node)
        if isinstance(value, int):
            return value, node
    return None


def _is_alert_code(name: str) -> bool:
    return name == "alert_code"


def components(ctx) -> list:
    """gbz_components of the carried message as a list, for ctx.once(components): made once
    per message for the checks that read them."""
    return list(gbz_components(carried(ctx.message)))


def gbz_components(message: Message):
    """(component node, cluster, frame control, command id, zcl_payload node) of each plaintext component."""
    components = node_at(message.root, "payload", "components")
    for comp in (components.children or ()) if components is not None else ():
        cluster, header = comp.get("cluster_id"), comp.get("zcl_header")
        if cluster is None or header is None:
            continue                      # encrypted and not decrypted: nothing to read
        fc, cmd = header.get("frame_control"), header.get("command_id")
        if fc is None or cmd is None:
            continue
        yield comp, cluster.value, fc.value, cmd.value, comp.get("zcl_payload")


@dataclass
class TreeScan:
    """What one pass over a message tree finds for the checks that would otherwise each walk it
    whole: the BER/DER length leaves not in their shortest form (byte order) and whether a
    certificate is carried. `lengths` keeps every length leaf, made only when asked for."""
    non_minimal: list
    carries_certificate: bool
    _root: Node | None = None

    @property
    def lengths(self) -> list:
        return [node for node in self._root.descendants() if node.codec == "ber_len"]


COMPILED = not __file__.endswith((".py", ".pyc"))


def scan_tree(root: Node) -> TreeScan:
    """One pass in byte order, building no dotted paths. On a decoded tree it reads the tape's
    columns (no view per row): a length leaf of one byte is always minimal, and a longer one
    is judged from its bytes; views are made only for the rare length that is not minimal."""
    tape = root.tape
    if tape is None:
        return _scan_nodes(root)
    top = root.row
    stop = tape.after(top)
    if COMPILED:
        cid, nid = tape.codec_ids.get("ber_len"), tape.name_ids.get("tbs_certificate")
        rows, certificate = _scan_rows(tape.a_codec, tape.a_name, tape.a_index, tape.a_start, tape.a_end,
                                       tape.a_vkind, tape.data, top, stop, -1 if cid is None else cid,
                                       -1 if nid is None else nid, V_BERLEN)
        return TreeScan(_not_minimal(tape, rows), certificate, root)
    rows = []
    cid = tape.codec_ids.get("ber_len")
    if cid is not None:
        codecs = tape.a_codec[top:stop].tobytes()
        a_start, a_end, a_vkind, data = tape.a_start, tape.a_end, tape.a_vkind, tape.data
        at = codecs.find(cid)
        while at >= 0:
            row = top + at
            start, used = a_start[row], a_end[row] - a_start[row]
            # a long form read from the bytes is minimal unless its first length byte is 0,
            # or it is one byte below 0x80; any other value is looked at through a view
            if used > 1 and (data[start + 1] == 0 or (used == 2 and data[start + 1] < 0x80)
                             or a_vkind[row] != V_BERLEN):
                rows.append(row)
            at = codecs.find(cid, at + 1)
    return TreeScan(_not_minimal(tape, rows), _has_group_named(tape, top, stop, "tbs_certificate"), root)


def _not_minimal(tape, rows: list) -> list:
    """Views of the length leaves at `rows` written in more bytes than their value needs."""
    found = []
    for row in rows:
        node = tape_view(tape, row)
        if node.end - node.start > _minimal_length_size(node.value):
            found.append(node)
    return found


def _scan_rows(codecs, names, indexes, starts, ends, kinds, data: bytes, top: int, stop: int, ber_cid: int,
               tbs_nid: int, berlen_kind: int) -> tuple[list, bool]:
    """scan_tree's pass in the compiled twin, every row read once as C integers (a loop over the
    rows is slow in Python: the pure twin searches the columns instead): the rows of the length
    leaves that may not be minimal (as scan_tree judges them) and whether a group called
    tbs_certificate is there."""
    rows = []
    certificate = False
    for row in range(top, stop):
        cid = codecs[row]
        if cid == 0:
            if names[row] == tbs_nid and indexes[row] < 0:
                certificate = True
        elif cid == ber_cid:
            start = starts[row]
            used = ends[row] - start
            if used > 1 and (data[start + 1] == 0 or (used == 2 and data[start + 1] < 0x80)
                             or kinds[row] != berlen_kind):
                rows.append(row)
    return rows, certificate


def _name_column(tape, top: int, stop: int) -> bytes:
    return tape.a_name[top:stop].tobytes()


def _has_group_named(tape, top: int, stop: int, name: str) -> bool:
    """Whether a group (not an indexed one) called `name` is at or below row `top`."""
    nid = tape.name_ids.get(name)
    if nid is None:
        return False
    a_index, a_codec = tape.a_index, tape.a_codec
    for at in rows_with_name(_name_column(tape, top, stop), tape.a_name.itemsize, nid):
        row = top + at
        if a_index[row] < 0 and a_codec[row] == 0:
            return True
    return False


def _is_tbs_certificate(name: str) -> bool:
    return name == "tbs_certificate"


def nodes_named(node: Node, match: Callable[[str], bool]) -> list[Node]:
    """`node` and the nodes below it whose name passes `match`, in byte order: what
    [n for n in node.descendants() if match(n.name)] gives, for a `match` that rejects names
    ending in an index ("x[3]"). On a decoded tree the tape's name column is searched at C
    speed and only the matching rows become views."""
    tape = node.tape
    if tape is None:
        return [n for n in node.descendants() if match(n.name)]
    top = node.row
    ids = _matching_ids(tape.names, match)
    if not ids:
        return []
    stop = tape.after(top)
    if len(ids) > 1:              # several names match: keep those the subtree holds (one C pass)
        present = set(tape.a_name[top:stop])
        ids = [nid for nid in ids if nid in present]
    rows = []
    a_index = tape.a_index
    if ids:
        column = _name_column(tape, top, stop)
        width = tape.a_name.itemsize
    for nid in ids:
        for at in rows_with_name(column, width, nid):
            if a_index[top + at] < 0:
                rows.append(top + at)
    rows.sort()
    return [tape_view(tape, row) for row in rows]


_MATCHING: dict = {}        # match -> (the name table, how many of its names were tried, ids that match)
_MATCHING_SIZE = 64         # matches remembered (callers passing a new lambda each time must not grow it)


def _matching_ids(names: list, match: Callable[[str], bool]) -> list[int]:
    """The ids of the names in a tape's name table (shared by the tapes of a process, and only
    ever appended to) that pass `match`; remembered per table, extended as the table grows."""
    known = _MATCHING.get(match)
    if known is None or known[0] is not names:
        known = (names, 0, [])
    tried, ids = known[1], known[2]
    if tried < len(names):
        ids = ids + [k for k in range(tried, len(names)) if type(names[k]) is str and match(names[k])]
        if len(_MATCHING) >= _MATCHING_SIZE and match not in _MATCHING:
            _MATCHING.clear()
        _MATCHING[match] = (names, len(names), ids)
    return ids


def parent_of(root: Node, node: Node) -> Node:
    """The parent of `node` (a node below `root` in a decoded tree): the nearest row before it
    whose subtree holds it."""
    tape, row = node.tape, node.row
    at = row - 1
    while at > root.row and tape.after(at) <= row:
        at -= 1
    return tape_view(tape, at)


def _scan_nodes(root: Node) -> TreeScan:
    """scan_tree for a tree of Node objects (made directly, not decoded)."""
    non_minimal, certificate = [], False
    for node in root.descendants():
        codec = node.codec
        if codec is None:
            if node.name == "tbs_certificate":
                certificate = True
        elif codec == "ber_len" and node.end - node.start > _minimal_length_size(node.value):
            non_minimal.append(node)
    return TreeScan(non_minimal, certificate, root)


def _minimal_length_size(value: int) -> int:
    return 1 if value < 0x80 else 1 + (value.bit_length() + 7) // 8


def non_minimal_lengths(root: Node, scan: TreeScan | None = None):
    """(dotted path, node, bytes used, bytes needed) of every BER/DER length not in its shortest form.

    `scan` (scan_tree(root), when the caller has it) says which they are: paths are only built
    for a tree that has such a length, which almost none has."""
    if scan is None:
        scan = scan_tree(root)
    if not scan.non_minimal:
        return
    for node in scan.non_minimal:
        used, minimal = node.end - node.start, _minimal_length_size(node.value)
        yield path_of(root, node).split(".", 1)[-1], node, used, minimal


def path_of(root: Node, node: Node) -> str:
    """The dotted path of `node` (a node of the tree at `root`), as root.walk() names it."""
    if root.tape is not None and node.tape is root.tape:
        tape, target = root.tape, node.row
        parts, row = [tape.name(root.row)], root.row
        while row != target:
            child = tape.first_child(row)
            while tape.after(child) <= target:     # the child whose subtree holds the target
                child = tape.after(child)
            parts.append(tape.name(child))
            row = child
        return ".".join(parts)
    for path, candidate in root.walk():
        if candidate is node:
            return path
    raise ValueError("the node is not in this tree")
