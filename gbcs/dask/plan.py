"""Partition planning: which messages of which files each Dask task validates.

A partition is a run of consecutive messages of one file. Boundaries never fall inside a run
of GBT blocks, so every partition reassembles exactly the messages a single process would and
names them the same way (`path`, `path:N`). Planning reads each file once (cheap: no decoding).
Nothing here imports Dask.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice
from typing import Iterable, Iterator

from gbcs.io.inputs import InputMessage, iter_inputs
from gbcs.io.parallel import chunks

DEFAULT_PARTITION_MESSAGES = 2000


@dataclass(frozen=True, slots=True)
class Partition:
    path: str            # one input file (or the directory walk's file) as iter_inputs names it
    first: int           # index of its first message in the file
    count: int           # messages in the partition (GBT blocks count one each)
    capture: object = None   # gbcs.io.captures.CaptureOptions the file is read with

    def messages(self) -> list[InputMessage]:
        """The partition's messages, read from its file."""
        return list(islice(_file_messages(self.path, self.capture), self.first, self.first + self.count))


def input_files(paths: Iterable[str]) -> list[str]:
    """The files a run reads, in the order a single process reads them (directories walked, sorted)."""
    files: list[str] = []
    for item in paths:
        if item == "-":
            raise ValueError("standard input cannot be spread over a cluster; give files or folders")
        if os.path.isdir(item):
            found = []
            for dirpath, dirnames, filenames in os.walk(item):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = os.path.relpath(dirpath, item)
                base = () if rel == "." else tuple(rel.split(os.sep))
                found += [base + (name,) for name in filenames if not name.startswith(".")]
            files += [os.path.join(item, *parts) for parts in sorted(found)] or [item]
        else:
            files.append(item)
    return files


def _file_messages(path: str, capture=None) -> Iterator[InputMessage]:
    # A file named inside a walked folder is read as a walk reads it (regular files only).
    return iter_inputs([path], capture=capture)


def plan_file(path: str, per_partition: int = DEFAULT_PARTITION_MESSAGES, capture=None) -> list[Partition]:
    """Partitions of about `per_partition` messages covering one file (cut as --jobs cuts chunks)."""
    if per_partition < 1:
        raise ValueError("a partition holds at least one message")
    parts, first = [], 0
    for chunk in chunks(_file_messages(path, capture), max_messages=per_partition, max_bytes=1 << 62):
        parts.append(Partition(path, first, len(chunk), capture))
        first += len(chunk)
    return parts


def plan_files(paths: list[str], per_partition: int = DEFAULT_PARTITION_MESSAGES, capture=None) -> list[Partition]:
    """The partitions of several files (one planning task for many small files)."""
    return [p for path in paths for p in plan_file(path, per_partition, capture)]


def plan(paths: Iterable[str], per_partition: int = DEFAULT_PARTITION_MESSAGES, capture=None) -> Iterator[Partition]:
    for path in input_files(paths):
        yield from plan_file(path, per_partition, capture)
