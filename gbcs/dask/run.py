"""Clusters, bags and ordered streams of validation records."""
from __future__ import annotations

import os
from collections import deque
from typing import Iterable, Iterator, NamedTuple

import dask.bag as db
from dask import delayed
from distributed import Client, LocalCluster

from gbcs.dask.job import ValidateJob
from gbcs.dask.plan import DEFAULT_PARTITION_MESSAGES, Partition, input_files, plan_file, plan_files
from gbcs.io.parquet import FINDING_COLUMNS, MESSAGE_COLUMNS, finding_rows, message_row


def connect(address: str) -> Client:
    """A client for a scheduler address, or `local` / `local:N` for a local cluster of N workers.

    A local cluster listens on the loopback interface only (its HTTP endpoint on a free port).
    """
    if address == "local" or address.startswith("local:"):
        text = address.partition(":")[2]
        try:
            workers = int(text) if text else (os.cpu_count() or 1)
        except ValueError:
            raise ValueError(f"{address!r}: give local:N with N a whole number of workers") from None
        if workers < 1:
            raise ValueError(f"{address!r}: a local cluster needs at least one worker")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0")
        return Client(cluster)
    return Client(address)


def _job(keystore, acb, select, ignore, strict, with_tree) -> ValidateJob:
    if keystore is None:
        paths: tuple[str, ...] = ()
    elif isinstance(keystore, (str, os.PathLike)):
        paths = (os.fspath(keystore),)
    elif hasattr(keystore, "sources"):          # a gbcs.crypto.Keystore loaded from paths
        paths = tuple(keystore.sources)
        if len(keystore) and not paths:
            raise ValueError("this keystore was built in memory; give its paths so workers can load it")
    else:
        paths = tuple(os.fspath(p) for p in keystore)
    return ValidateJob(tuple(os.path.abspath(p) for p in paths), acb, tuple(select or ()),
                       tuple(ignore or ()), strict, with_tree)


def partitions(paths: Iterable[str], per_partition: int = DEFAULT_PARTITION_MESSAGES,
               client: Client | None = None, capture=None) -> list[Partition]:
    """Plan the partitions of every input file, on the workers when a client is given."""
    files = input_files(paths)
    if client is None:
        plans = [plan_file(f, per_partition, capture) for f in files]
    else:                                        # a few tasks per worker thread, not one per small file
        step = max(1, -(-len(files) // (4 * max(1, sum(client.nthreads().values())))))
        groups = [files[i:i + step] for i in range(0, len(files), step)]
        plans = client.gather(client.map(plan_files, groups, per_partition=per_partition, capture=capture,
                                         pure=False))
    return [p for plan in plans for p in plan]


def validate(paths_or_bag, keystore=None, *, acb: str | None = None, select=(), ignore=(), strict: bool = False,
             with_tree: bool = False, per_partition: int = DEFAULT_PARTITION_MESSAGES) -> db.Bag:
    """A Dask bag of validation records.

    `paths_or_bag`: files and folders, or a bag of raw messages (bytes, or (source, bytes) pairs).
    `keystore`: keystore paths (or a Keystore loaded from paths) that every worker can read.
    """
    job = _job(keystore, acb, select, ignore, strict, with_tree)
    if isinstance(paths_or_bag, db.Bag):
        return paths_or_bag.map_partitions(_validate_raw, job)
    if isinstance(paths_or_bag, (str, os.PathLike)):
        paths_or_bag = [paths_or_bag]
    parts = partitions([os.fspath(p) for p in paths_or_bag], per_partition)
    return db.from_delayed([delayed(job, pure=True)(p) for p in parts])


def _validate_raw(items, job: ValidateJob) -> list[dict]:
    from gbcs.io.inputs import InputMessage
    from gbcs.io.records import validation_records
    from gbcs.dask.job import worker_keystore
    messages = []
    for i, item in enumerate(items):
        source, data = item if isinstance(item, tuple) else (f"<bag>:{i}", item)
        messages.append(InputMessage(source, bytes(data), "binary"))
    return list(validation_records(messages, worker_keystore(job.keystore_paths), acb=job.acb,
                                   select=job.select, ignore=job.ignore, strict=job.strict,
                                   with_tree=job.with_tree))


def stream(client: Client, paths: Iterable[str], keystore=None, *, acb: str | None = None, select=(),
           ignore=(), strict: bool = False, with_tree: bool = True, per_partition: int = DEFAULT_PARTITION_MESSAGES,
           window: int | None = None) -> Iterator[dict]:
    """Validation records of every input, in input order, computed on the cluster.

    At most `window` partitions are in flight (default: 3 per worker thread), so memory is
    bounded whatever the number of inputs. A task lost with its worker is run again by Dask;
    each partition's records are taken once, so nothing is lost or duplicated.
    """
    job = _job(keystore, acb, select, ignore, strict, with_tree)
    parts = partitions(paths, per_partition, client)
    if window is None:
        window = max(2, 3 * sum(client.nthreads().values()))
    in_flight: deque = deque()
    todo = iter(parts)
    for p in todo:
        in_flight.append(client.submit(job, p, pure=False))
        if len(in_flight) >= window:
            break
    while in_flight:
        future = in_flight.popleft()
        records = future.result()
        future.release()
        nxt = next(todo, None)
        if nxt is not None:
            in_flight.append(client.submit(job, nxt, pure=False))
        yield from records


class Frames(NamedTuple):
    messages: object      # dask DataFrame, one row per message (gbcs.io.parquet.MESSAGE_COLUMNS)
    findings: object      # dask DataFrame, one row per finding (FINDING_COLUMNS)


_PANDAS_TYPES = {"string": "string", "bool": "boolean", "int8": "Int8", "int32": "Int32", "int64": "Int64",
                 "uint64": "UInt64"}


def _meta(columns) -> dict:
    return {name: _PANDAS_TYPES[kind] for name, kind, _ in columns}


def to_dataframe(results: db.Bag) -> Frames:
    """The records of `validate` as two typed Dask DataFrames (messages, findings)."""
    import pandas as pd

    def frame(rows: list[dict], columns) -> "pd.DataFrame":
        meta = _meta(columns)
        return pd.DataFrame(rows, columns=list(meta)).astype(meta)

    messages = results.map_partitions(lambda part: frame([message_row(r) for r in part], MESSAGE_COLUMNS))
    findings = results.map_partitions(lambda part: frame([row for r in part for row in finding_rows(r)],
                                                         FINDING_COLUMNS))
    import dask.dataframe as dd
    return Frames(dd.from_delayed(messages.to_delayed(), meta=frame([], MESSAGE_COLUMNS)),
                  dd.from_delayed(findings.to_delayed(), meta=frame([], FINDING_COLUMNS)))
