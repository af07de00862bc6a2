"""Validation records: the plain dicts `gbcs validate --format jsonl` writes, one per message.

Shared by the single-process CLI and the Dask workers, so a cluster run yields the same records.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from gbcs.errors import GbcsError, InputError
from gbcs.io.inputs import InputMessage
from gbcs.io.outputs import Result, result_record


def decode_items(items: Iterable[InputMessage]) -> Iterator[Result]:
    """Decode each input message; GBT blocks in a row (of one file) are reassembled."""
    from gbcs.decoding import decode, is_gbt_block
    pending: list[InputMessage] = []

    def flush(final: bool) -> Iterator[Result]:
        if not pending:
            return
        data = b"".join(p.data for p in pending)
        source = pending[0].source if len(pending) == 1 else \
            f"{pending[0].source}..{pending[-1].source.rsplit(':', 1)[-1]}"
        try:
            message = decode(data)
        except GbcsError as exc:
            if not final and getattr(exc, "rule", None) == "GBCS-D010":
                return          # more blocks to come
            pending.clear()
            yield Result(source, data=data, error=exc)
            return
        pending.clear()
        yield Result(source, message=message, data=data)

    for item in items:
        if item.data is None:
            yield from flush(True)
            yield Result(item.source, error=item.error or InputError("unreadable input", item.source))
            continue
        if is_gbt_block(item.data):
            if pending and pending[0].source.rsplit(":", 1)[0] != item.source.rsplit(":", 1)[0]:
                yield from flush(True)
            pending.append(item)
            yield from flush(False)
            continue
        yield from flush(True)
        try:
            yield Result(item.source, message=decode(item.data), data=item.data)
        except GbcsError as exc:
            yield Result(item.source, data=item.data, error=exc)
    yield from flush(True)


def validation_records(items: Iterable[InputMessage], keystore=None, *, acb=None, select=(), ignore=(),
                       with_tree: bool = True) -> Iterator[dict]:
    """One validate record per message of `items`."""
    from gbcs.findings import from_error
    from gbcs.validate import RuleSelector, check
    selector = RuleSelector(select, ignore) if (select or ignore) else None
    for r in decode_items(items):
        if r.data is None:
            r.extra = {"signature": None, "mac": None, "decryption": None,
                       "findings": [from_error(r.error).to_dict()], "valid": False}
        else:
            v = check(r.data, r.message, r.error, keystore, acb=acb, selector=selector)
            r.extra = {"signature": v.signature, "mac": v.mac, "decryption": v.decryption,
                       "findings": [f.to_dict() for f in v.findings], "valid": v.ok}
        yield result_record(r, with_tree=with_tree)
