"""Spread decode/validate work over processes, keeping the input order and a bounded memory.

The main process reads the inputs and cuts them into chunks (never inside a run of GBT
blocks, which must be reassembled together); each worker process runs the same pipeline a
serial run would (decode, checks) over a chunk and sends back its Results; the main process
hands them on in input order. At most `window` chunks are in flight, so memory does not grow
with the number of messages.

    results = ordered_results(iter_inputs(paths), functools.partial(make_pipeline, ...), jobs=4)

`make_pipeline()` runs once in each worker and returns `pipeline(items) -> Iterable[Result]`;
it must be picklable (a module-level function, or functools.partial of one), as must its Results.
"""
from __future__ import annotations

import gc
import os
import pickle
import sys
from collections import deque
from typing import Callable, Iterable, Iterator, TypeVar

from gbcs.errors import GbcsError
from gbcs.io.inputs import InputMessage

T = TypeVar("T")
Pipeline = Callable[[list[InputMessage]], Iterable]

CHUNK_MESSAGES = 64             # messages per chunk: enough to amortise the hand-over
CHUNK_BYTES = 1 << 20           # ... or this many input bytes, whichever comes first
WINDOW_PER_JOB = 3              # chunks in flight per worker: keeps workers busy, memory flat

_pipeline: Pipeline | None = None      # set in each worker by _start_worker


class WorkerError(GbcsError):
    """A worker process stopped without an answer (killed, out of memory)."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def chunks(items: Iterable[InputMessage], max_messages: int = CHUNK_MESSAGES,
           max_bytes: int = CHUNK_BYTES) -> Iterator[list[InputMessage]]:
    """`items` in lists, cut only before a message that does not continue a run of GBT blocks."""
    from gbcs.decoding import is_gbt_block
    chunk: list[InputMessage] = []
    size = 0
    for item in items:
        continues_gbt = item.data is not None and is_gbt_block(item.data)
        if chunk and not continues_gbt and (len(chunk) >= max_messages or size >= max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += len(item.data or b"")
    if chunk:
        yield chunk


def _start_worker(make_pipeline: Callable[[], Pipeline]) -> None:
    global _pipeline
    _pipeline = make_pipeline()


def _run_chunk(chunk: list[InputMessage]) -> bytes:
    # Pickled here and unpickled by _results_of in the main thread, not by the pool's own
    # thread: that is where the cyclic GC can be paused (it made unpickling trees 10x slower).
    results = list(_pipeline(chunk))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        if gc_was_enabled:
            gc.enable()


def _results_of(blob: bytes) -> list:
    gc_was_enabled = gc.isenabled()
    gc.disable()                 # trees hold no cycles; the GC would rescan every new node
    try:
        return pickle.loads(blob)
    finally:
        if gc_was_enabled:
            gc.enable()


def ordered_results(items: Iterable[InputMessage], make_pipeline: Callable[[], Pipeline], jobs: int,
                    *, window: int | None = None) -> Iterator:
    """Every Result of `make_pipeline()(chunk)` over the chunks of `items`, in input order.

    `jobs` 1 runs in this process (no pickling at all); 0 means one per CPU.
    """
    jobs = jobs or default_jobs()
    if jobs == 1:
        pipeline = make_pipeline()
        for chunk in chunks(items):
            yield from pipeline(chunk)
        return
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing
    # fork shares the loaded spec tables with the workers; elsewhere each worker loads its own
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"
    executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                                   initializer=_start_worker, initargs=(make_pipeline,))
    from concurrent.futures.process import BrokenProcessPool
    in_flight: deque = deque()
    limit = window or jobs * WINDOW_PER_JOB
    try:
        for chunk in chunks(items):
            in_flight.append(executor.submit(_run_chunk, chunk))
            if len(in_flight) >= limit:
                yield from _results_of(in_flight.popleft().result())
        while in_flight:
            yield from _results_of(in_flight.popleft().result())
    except BrokenProcessPool:
        raise WorkerError(f"a worker process stopped without finishing its messages (killed, or out of "
                          f"memory?); run again with fewer --jobs, or --jobs 1") from None
    finally:
        for future in in_flight:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def with_progress(results: Iterable[T], *, stream=None, out=None) -> Iterator[T]:
    """`results`, counted on a progress bar on the terminal for long runs.

    Only when the bar has a terminal to itself: stderr is a terminal and the output is not
    (a bar between lines of text output would garble both). Shown after the first second.
    """
    stream = stream if stream is not None else sys.stderr
    if not progress_wanted(stream, out if out is not None else sys.stdout):
        yield from results
        return
    try:
        from tqdm import tqdm
    except ImportError:              # the bar is a nicety: run without it
        yield from results
        return
    tqdm.monitor_interval = 0        # no monitor thread (workers are forked)
    with tqdm(results, unit=" msg", file=stream, delay=1.0, leave=False, dynamic_ncols=True) as bar:
        yield from bar


def progress_wanted(stream, out) -> bool:
    return _isatty(stream) and not _isatty(out) and os.environ.get("GBCS_PROGRESS") != "0"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
