"""Validate fleet-size captures on a Dask cluster (optional: `pip install 'gbcs[dask]'`).

    >>> import gbcs.dask
    >>> with gbcs.dask.connect("local:2") as client:
    ...     records = gbcs.dask.validate(["captures/"], keystore="keys/")    # a dask Bag of records
    ...     frames = gbcs.dask.to_dataframe(records)                          # .messages, .findings

Inputs are split into partitions (runs of messages of one file, never cutting GBT blocks);
every worker decodes and validates with the same keystore, loaded once per worker from the
paths given (workers must see the same files). Results are the records a single process
writes with `gbcs validate --format jsonl`. Nothing here is imported unless asked for.
"""
from gbcs.dask.run import Frames, connect, stream, to_dataframe, validate

__all__ = ["Frames", "connect", "stream", "to_dataframe", "validate"]
