"""Inputs as a stream of FlowMessages: files, folders, captures; GBT blocks joined per source."""
from __future__ import annotations

from typing import Iterable, Iterator

from gbcs.decoding import is_gbt_block
from gbcs.errors import InputError
from gbcs.flow.facts import FlowMessage


def _origin(source: str) -> str:
    """The file a message came from, without its ":N" line or "#frame" suffix."""
    return source.split("#", 1)[0].rsplit(":", 1)[0]


def flow_messages(inputs: Iterable[str], *, stdin=None, capture=None,
                  payloads: bool | str = True) -> Iterator[FlowMessage]:
    """Every message of INPUTS in order, decoded, with its capture time and frame. Consecutive
    GBT blocks of one file are joined into the message they carry; bad input is a FlowMessage
    whose `error` says why. `payloads` as for FlowMessage.from_bytes."""
    from gbcs.io.inputs import iter_inputs
    pending: list = []

    def flush(final: bool) -> Iterator[FlowMessage]:
        if not pending:
            return
        first = pending[0]
        joined = FlowMessage.from_bytes(b"".join(p.data for p in pending), first.source, first.timestamp,
                                        first.frame, payloads)
        if joined.error is not None and getattr(joined.error, "rule", None) == "GBCS-D010" and not final:
            return                                    # more blocks to come
        pending.clear()
        yield joined

    for item in iter_inputs(inputs, stdin=stdin, capture=capture):
        if item.data is None:
            yield from flush(True)
            yield FlowMessage(item.source, None, item.timestamp, item.frame, None,
                              item.error or InputError("unreadable input", item.source))
            continue
        if is_gbt_block(item.data):
            if pending and _origin(pending[0].source) != _origin(item.source):
                yield from flush(True)
            pending.append(item)
            yield from flush(False)
            continue
        yield from flush(True)
        yield FlowMessage.from_bytes(item.data, item.source, item.timestamp, item.frame, payloads)
    yield from flush(True)
