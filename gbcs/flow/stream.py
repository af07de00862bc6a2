"""Inputs as a stream of FlowMessages: files, folders, captures; GBT blocks joined per source."""
from __future__ import annotations

from typing import Iterable, Iterator

from gbcs.flow.facts import FlowMessage
from gbcs.io.inputs import InputMessage
from gbcs.io.stream import units


def flow_messages(inputs: Iterable[str], *, stdin=None, capture=None,
                  payloads: bool | str = True) -> Iterator[FlowMessage]:
    """Every message of INPUTS in order, decoded, with its capture time and frame. Consecutive
    GBT blocks of one file are joined into the message they carry (gbcs.io.stream.units); bad
    input is a FlowMessage whose `error` says why. `payloads` as for FlowMessage.from_bytes."""
    from gbcs.io.inputs import iter_inputs
    return flow_messages_of(iter_inputs(inputs, stdin=stdin, capture=capture), payloads)


def flow_messages_of(items: Iterable[InputMessage], payloads: bool | str = True) -> Iterator[FlowMessage]:
    """The FlowMessages of input messages already read (a file, or a partition of one)."""
    for unit in units(items):
        first = unit.first
        if unit.error is not None:
            yield FlowMessage(unit.source, unit.data, first.timestamp, first.frame, None, unit.error)
        else:
            yield FlowMessage.from_bytes(unit.data, unit.source, first.timestamp, first.frame, payloads)
