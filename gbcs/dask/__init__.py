"""Validate and analyse fleet-size captures on a Dask cluster (optional: `pip install 'gbcs[dask]'`).

    >>> import gbcs.dask
    >>> with gbcs.dask.connect("local:2") as client:
    ...     records = gbcs.dask.validate(["captures/"], keystore="keys/")    # a dask Bag of records
    ...     frames = gbcs.dask.to_dataframe(records)                          # .messages, .findings
    ...     run = gbcs.dask.analyse(["captures/"], client=client)             # .events, .summaries

Inputs are split into partitions (runs of messages of one file, never cutting GBT blocks);
every worker decodes and validates with the same keystore, loaded once per worker from the
paths given (workers must see the same files). Results are the records a single process
writes with `gbcs validate --format jsonl`; `analyse` gives the events of `gbcs capture
analyse` in the same order (gbcs.dask.flows says how). Nothing here is imported unless asked for.
"""
from gbcs.dask.flows import Analysis, analyse
from gbcs.dask.run import Frames, connect, stream, to_dataframe, validate

__all__ = ["Analysis", "Frames", "analyse", "connect", "stream", "to_dataframe", "validate"]
