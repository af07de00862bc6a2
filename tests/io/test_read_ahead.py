"""read_ahead hands results on unchanged and in order, holding at most its bounds."""
from __future__ import annotations

from gbcs.io.outputs import Result
from gbcs.io.stream import read_ahead


def _pulled(results):
    """The results, noting how many the consumer had pulled when each one was handed on."""
    pulled = []

    def source():
        for r in results:
            pulled.append(r)
            yield r
    return source(), pulled


def test_results_pass_unchanged_in_order_in_bounded_runs():
    results = [Result(f"m{i}", data=bytes(10)) for i in range(10)]
    source, pulled = _pulled(results)
    seen = []
    for r in read_ahead(source, max_messages=4, max_bytes=1 << 20):
        seen.append(r)
        assert len(pulled) - len(seen) < 4                   # never more than 4 held
    assert seen == results and all(a is b for a, b in zip(seen, results))


def test_bytes_bound_the_run_too():
    results = [Result(f"m{i}", data=bytes(600)) for i in range(5)] + [Result("unread", data=None)]
    source, pulled = _pulled(results)
    it = read_ahead(source, max_messages=100, max_bytes=1000)
    assert next(it) is results[0] and len(pulled) == 2       # 1,200 bytes held: handed on
    assert list(it) == results[1:]


def test_an_empty_stream_gives_nothing():
    assert list(read_ahead(iter(()))) == []
