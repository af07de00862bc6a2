"""Inputs to decode results: every message of every input, GBT blocks in a row reassembled.

`units` is the one place that groups input messages: a lone message, or a run of GBT blocks of
one file joined into the message they carry. Blocks are read once each as they arrive (their
routing facts only); a run ends when its last missing block arrives, so the work stays linear in
the input. At most `max_blocks` blocks are held waiting for a message to complete. Decoding
(`decode_inputs`), capture analysis and the Dask partitions all build on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

from gbcs.decoding import GbtProgress, decode, is_gbt_block, read_gbt_blocks
from gbcs.errors import ConstraintError, GbcsError, InputError
from gbcs.io.inputs import InputMessage, iter_inputs
from gbcs.io.outputs import Result

DEFAULT_MAX_GBT_BLOCKS = 4096   # blocks held at once; far more than one real message needs


@dataclass(frozen=True, slots=True, init=False)
class Unit:
    """One message to decode: its bytes (blocks joined), where it was read, and the first input
    message it came from (capture time, frame). `error` is set when the input could not be read
    or the blocks cannot form a message; then there is nothing to decode."""
    source: str
    data: bytes | None
    first: InputMessage
    error: GbcsError | None = None

    # written out (init=False): the generated one is interpreted even in the compiled twin
    def __init__(self, source: str, data: bytes | None, first: InputMessage, error: GbcsError | None = None):
        setattr_ = object.__setattr__           # frozen
        setattr_(self, "source", source)
        setattr_(self, "data", data)
        setattr_(self, "first", first)
        setattr_(self, "error", error)


def units(items: Iterable[InputMessage], *, max_blocks: int = DEFAULT_MAX_GBT_BLOCKS) -> Iterator[Unit]:
    """The messages of a stream of input messages, GBT runs joined (see the module docstring)."""
    held = _HeldBlocks(max_blocks)
    for item in items:
        if item.data is None:
            yield from held.flush()
            yield Unit(item.source, None, item, item.error or InputError("unreadable input", item.source))
        elif is_gbt_block(item.data):
            yield from held.add(item)
        else:
            yield from held.flush()
            yield Unit(item.source, item.data, item)
    yield from held.flush()


def decode_units(stream: Iterable[Unit]) -> Iterator[Result]:
    for unit in stream:
        if unit.error is not None:
            yield Result(unit.source, data=unit.data, error=unit.error)
        else:
            yield _decoded(unit.source, unit.data)


def decode_items(items: Iterable[InputMessage], *, max_blocks: int = DEFAULT_MAX_GBT_BLOCKS) -> Iterator[Result]:
    """Decode every message of a stream of input messages."""
    return decode_units(units(items, max_blocks=max_blocks))


AHEAD_MESSAGES = 32         # decoded ahead of the checks: fewer switches between decode and check
AHEAD_BYTES = 1 << 20       # ... or this many input bytes, whichever comes first


def read_ahead(results: Iterable[Result], max_messages: int = AHEAD_MESSAGES,
               max_bytes: int = AHEAD_BYTES) -> Iterator[Result]:
    """`results` unchanged and in order, taken a few at a time: decoding a run of messages and
    then checking them keeps each stage's tables and code in the CPU caches (about 8% faster
    than alternating for every message, on the RTDS). At most `max_messages` results, or
    `max_bytes` bytes of input, are held."""
    held: list[Result] = []
    size = 0
    for r in results:
        held.append(r)
        size += len(r.data or b"")
        if len(held) >= max_messages or size >= max_bytes:
            yield from held
            held, size = [], 0
    yield from held


def decode_inputs(inputs: Iterable[str], stdin: BinaryIO | None = None, *,
                  max_blocks: int = DEFAULT_MAX_GBT_BLOCKS) -> Iterator[Result]:
    """Read every input, decode every message in it; GBT blocks in a row are joined."""
    return decode_items(iter_inputs(inputs, stdin=stdin), max_blocks=max_blocks)


def _decoded(source: str, data: bytes) -> Result:
    try:
        return Result(source, message=decode(data), data=data)
    except GbcsError as exc:
        return Result(source, data=data, error=exc)


def _file_of(source: str) -> str:
    """The file of a message source: without ":N" (line group) or "#N" (capture frame)."""
    return source.split("#", 1)[0].rsplit(":", 1)[0]


class _HeldBlocks:
    """The blocks of the GBT message being reassembled, from one input file."""

    def __init__(self, max_blocks: int) -> None:
        self.max_blocks = max_blocks
        self._reset()

    def _reset(self) -> None:
        self.items: list[InputMessage] = []
        self.count = 0
        self.key: tuple | None = None
        self.progress = GbtProgress()

    def add(self, item: InputMessage) -> Iterator[Unit]:
        if self.items and _file_of(self.items[0].source) != _file_of(item.source):
            yield from self.flush()
        self.items.append(item)
        try:
            blocks = read_gbt_blocks(item.data)
        except GbcsError:
            yield self._held_unit()        # decoding the joined blocks says what is wrong
            return
        if len({b.key for b in blocks} | ({self.key} if self.key is not None else set())) > 1:
            yield self._held_unit()        # blocks of two messages: decoding says which
            return
        self.key = blocks[0].key
        for b in blocks:
            self.progress.add(b.number, b.last, b.has_data)
        self.count += len(blocks)
        if self.progress.complete:
            yield self._held_unit()
        elif self.count >= self.max_blocks:
            yield self._too_many()

    def flush(self) -> Iterator[Unit]:
        """The held blocks as one unit: the run of blocks has ended."""
        if not self.items:
            return
        if self.progress.complete or self.key is None:
            yield self._held_unit()
            return
        source, data, first = self._joined()
        error = self.progress.error(len(data))    # what decode would say, without decoding it all
        self._reset()
        yield Unit(source, data, first, error)

    def _joined(self) -> tuple[str, bytes, InputMessage]:
        first, last = self.items[0].source, self.items[-1].source
        source = first if len(self.items) == 1 else f"{first}..{last.rsplit(':', 1)[-1]}"
        return source, b"".join(i.data for i in self.items), self.items[0]

    def _held_unit(self) -> Unit:
        source, data, first = self._joined()
        self._reset()
        return Unit(source, data, first)

    def _too_many(self) -> Unit:
        source, data, first = self._joined()
        self._reset()
        error = ConstraintError(
            f"{self.max_blocks} GBT blocks held without completing a message (no last block, or blocks "
            "missing); they are reported together and reassembly starts again — give each message's "
            "blocks together, or raise max_blocks for a message this large", len(data), "gbt",
            rule="GBCS-D011")
        return Unit(source, data, first, error)
