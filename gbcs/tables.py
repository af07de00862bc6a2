"""Look-ups over the spec tables for people: message codes / use cases (`gbcs codes`) and
GBCS Table 16.2 alerts (`gbcs alerts`), with the Table 28c view derived from Table 16.2
(SEC modification MP150 removed Table 28c because it duplicates 16.2: never a second copy)."""
from __future__ import annotations

from typing import Iterable

from gbcs.errors import NotFoundError
from gbcs.spec import specs


def _code(text: str | int) -> int | None:
    if isinstance(text, int):
        return text
    t = text.strip().lower().removeprefix("0x")
    if len(t) == 4:
        try:
            return int(t, 16)
        except ValueError:
            return None
    return None


def _hex(code: int | None) -> str | None:
    return None if code is None else f"{code:04X}"


def _list(value) -> list:
    return list(value) if value else []


def code_record(row) -> dict:
    c = row.cells
    s = specs()
    crit = s.get("message_type_class", "gbcs").by_key[c["message_type"]].cells["criticality"]
    return {"code": _hex(c["code"]), "use_case": c["use_case"], "title": c["title"],
            "message_type": c["message_type"], "criticality": crit, "cra": _list(c["cra"]),
            "payload": c["payload"], "devices": _list(c["devices"]), "future_dated": c["future_dated"],
            "service_refs": _list(c["service_refs"]), "note": c["note"], "alias": c["alias"]}


def message_codes(queries: Iterable[str] = ()) -> list[dict]:
    """Message-code records for hex codes (0059, 0x0059) or use-case names (ECS52, case-insensitive);
    every code when `queries` is empty. Raises NotFoundError naming what matched nothing."""
    table = specs().get("message_codes", "gbcs")
    queries = list(queries)
    if not queries:
        return [code_record(r) for r in table.rows]
    out, missing = [], []
    for q in queries:
        code = _code(q)
        rows = [table.by_key[code]] if code in table.by_key else [
            r for r in table.rows if r.cells["use_case"] and q.strip().lower() in
            (r.cells["use_case"].lower(), *r.cells["use_case"].lower().split("/"))]
        if not rows:
            missing.append(q)
        out += [code_record(r) for r in rows if code_record(r) not in out]
    if missing:
        raise NotFoundError(f"no message code or use case {', '.join(map(repr, missing))}; "
                           "give a 4-digit hex code (0059) or a use case (ECS52), or no argument to list all")
    return out


def _configuration(entries) -> list[dict]:
    out = []
    for entry in entries or ():
        device, role, *settings = entry.split(".")
        out.append({"device": device, "role": role, "settings": settings})
    return out


def alert_record(row) -> dict:
    c = row.cells
    return {"code": _hex(c["code"]), "title": c["title"], "payloads": _list(c["payloads"]),
            "devices": _list(c["devices"]), "message_codes": [_hex(m) for m in c["carriers"] or ()],
            "configurable": _configuration(c["configurable"])}


def alerts(codes: Iterable[str] = ()) -> list[dict]:
    """Table 16.2 records for the given alert codes (all when empty)."""
    table = specs().get("alert_codes", "gbcs")
    codes = list(codes)
    if not codes:
        return [alert_record(r) for r in table.rows]
    out, missing = [], []
    for q in codes:
        code = _code(q)
        if code in table.by_key:
            out.append(alert_record(table.by_key[code]))
        else:
            missing.append(q)
    if missing:
        raise NotFoundError(f"no alert code {', '.join(map(repr, missing))} in GBCS Table 16.2; "
                           "give 4-digit hex codes such as 8F30, or no argument to list all")
    return out


def alerts_28c(codes: Iterable[str] = ()) -> list[dict]:
    """The Table 28c view: one record per configurable alert, device and role, with its settings."""
    out = []
    for rec in alerts(codes):
        for conf in rec["configurable"]:
            out.append({"code": rec["code"], "title": rec["title"], **conf})
    return out
