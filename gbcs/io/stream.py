"""Inputs to decode results: every message of every input, GBT blocks in a row reassembled.

Blocks are read once each as they arrive (their routing facts only); a message is decoded
once, when its last missing block arrives or the run of blocks ends, so the work stays
linear in the input. At most `max_blocks` blocks are held waiting for a message to complete.
"""
from __future__ import annotations

from typing import BinaryIO, Iterable, Iterator

from gbcs.decoding import GbtProgress, decode, is_gbt_block, read_gbt_blocks
from gbcs.errors import ConstraintError, GbcsError, InputError
from gbcs.io.inputs import InputMessage, iter_inputs
from gbcs.io.outputs import Result

DEFAULT_MAX_GBT_BLOCKS = 4096   # blocks held at once; far more than one real message needs


def decode_inputs(inputs: Iterable[str], stdin: BinaryIO | None = None, *,
                  max_blocks: int = DEFAULT_MAX_GBT_BLOCKS) -> Iterator[Result]:
    """Read every input, decode every message in it; GBT blocks in a row are joined."""
    held = _HeldBlocks(max_blocks)
    for item in iter_inputs(inputs, stdin=stdin):
        if item.data is None:
            yield from held.flush()
            yield Result(item.source, error=item.error or InputError("unreadable input", item.source))
        elif is_gbt_block(item.data):
            yield from held.add(item)
        else:
            yield from held.flush()
            yield _decoded(item.source, item.data)
    yield from held.flush()


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

    def add(self, item: InputMessage) -> Iterator[Result]:
        if self.items and _file_of(self.items[0].source) != _file_of(item.source):
            yield from self.flush()
        self.items.append(item)
        try:
            blocks = read_gbt_blocks(item.data)
        except GbcsError:
            yield self._decode_held()        # the error, with offsets in the joined blocks
            return
        if len({b.key for b in blocks} | ({self.key} if self.key is not None else set())) > 1:
            yield self._decode_held()        # blocks of two messages: decode says which
            return
        self.key = blocks[0].key
        for b in blocks:
            self.progress.add(b.number, b.last, b.has_data)
        self.count += len(blocks)
        if self.progress.complete:
            yield self._decode_held()
        elif self.count >= self.max_blocks:
            yield self._too_many()

    def flush(self) -> Iterator[Result]:
        """The held blocks as one result: the run of blocks has ended."""
        if not self.items:
            return
        if self.progress.complete or self.key is None:
            yield self._decode_held()
            return
        source, data = self._joined()
        error = self.progress.error(len(data))    # what decode would say, without decoding it all
        self._reset()
        yield Result(source, data=data, error=error)

    def _joined(self) -> tuple[str, bytes]:
        first, last = self.items[0].source, self.items[-1].source
        source = first if len(self.items) == 1 else f"{first}..{last.rsplit(':', 1)[-1]}"
        return source, b"".join(i.data for i in self.items)

    def _decode_held(self) -> Result:
        source, data = self._joined()
        self._reset()
        return _decoded(source, data)

    def _too_many(self) -> Result:
        source, data = self._joined()
        self._reset()
        error = ConstraintError(
            f"{self.max_blocks} GBT blocks held without completing a message (no last block, or blocks "
            "missing); they are reported together and reassembly starts again — give each message's "
            "blocks together, or raise max_blocks for a message this large", len(data), "gbt",
            rule="GBCS-D011")
        return Result(source, data=data, error=error)
