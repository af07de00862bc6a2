"""The compiled walker and its pure-Python twin give identical trees and identical errors."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gbcs
import gbcs.decoding
from gbcs.wire.backend import CompiledWalker, PythonWalker
from test_properties import messages

pytestmark = pytest.mark.skipif(CompiledWalker is None, reason="compiled walker not built (pip install -e .)")


def decode_with(walker_class, data: bytes):
    saved = gbcs.decoding.Walker
    gbcs.decoding.Walker = walker_class
    try:
        return ("ok", _tree(gbcs.decode(data)))
    except gbcs.GbcsError as exc:
        return ("error", type(exc).__name__, str(exc), getattr(exc, "offset", None), getattr(exc, "field", None))
    finally:
        gbcs.decoding.Walker = saved


def _tree(message):
    return [(path, n.start, n.end, n.codec, n.value, n.meaning) for path, n in message.root.walk()]


def test_the_twins_are_different_classes():
    assert CompiledWalker is not PythonWalker
    assert CompiledWalker.__module__ == "gbcs.wire._walker_c"


@settings(max_examples=200, deadline=None)
@given(messages(), st.integers(0, 10_000), st.binary(max_size=3))
def test_same_tree_or_same_error(data, position, junk):
    for candidate in (data, data[: position % (len(data) + 1)], data + junk):
        assert decode_with(CompiledWalker, candidate) == decode_with(PythonWalker, candidate)


def test_same_on_the_corpus(rtds):
    for path, data in rtds:
        assert decode_with(CompiledWalker, data) == decode_with(PythonWalker, data), path.name


def _message_with(walker_class, data: bytes):
    saved = gbcs.decoding.Walker
    gbcs.decoding.Walker = walker_class
    try:
        return gbcs.decode(data)
    except gbcs.GbcsError:
        return None
    finally:
        gbcs.decoding.Walker = saved


@settings(max_examples=60, deadline=None)
@given(messages())
def test_same_tape_and_pickles_across_twins(data):
    """The two tapes hold the same rows, and a tree pickled by one twin loads in the other."""
    from gbcs.wire.backend import CompiledTape, PythonTape
    a, b = _message_with(CompiledWalker, data), _message_with(PythonWalker, data)
    assert (a is None) == (b is None)
    if a is None:
        return
    ta, tb = a.root.tape, b.root.tape
    assert type(ta) is CompiledTape and type(tb) is PythonTape
    assert ta.n == tb.n and [ta.name(i) for i in range(ta.n)] == [tb.name(i) for i in range(tb.n)]
    assert a.root.to_dict() == b.root.to_dict()
    assert CompiledTape.from_state(tb.state(0)).to_dict(0) == a.root.to_dict()
    assert PythonTape.from_state(ta.state(0)).to_dict(0) == b.root.to_dict()
