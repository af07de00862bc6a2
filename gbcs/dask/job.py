"""What one Dask task does with its partition: decode and validate, return plain records.

Runs on the workers. The keystore is loaded once per worker process (by its paths, which
workers read from their own file system), never shipped over the network.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gbcs.dask.plan import Partition


@lru_cache(maxsize=4)
def worker_keystore(paths: tuple[str, ...]):
    """The keystore of these paths, loaded once per process."""
    if not paths:
        return None
    from gbcs.crypto import Keystore
    return Keystore.load(list(paths))


@dataclass(frozen=True)
class ValidateJob:
    """The options of a run, sent once with each task (small and picklable)."""
    keystore_paths: tuple[str, ...] = ()
    acb: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    with_tree: bool = True

    def __call__(self, partition: Partition) -> list[dict]:
        from gbcs.io.records import validation_records
        return list(validation_records(partition.messages(), worker_keystore(self.keystore_paths),
                                       acb=self.acb, select=self.select, ignore=self.ignore,
                                       strict=self.strict, with_tree=self.with_tree))
