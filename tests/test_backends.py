"""The compiled walker and its pure-Python twin: distinct, never mixed, their tapes interchangeable."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gbcs
import gbcs.backend
import gbcs.spec
import gbcs.wire.layout
from gbcs.wire.backend import CompiledWalker, PythonWalker
from test_properties import messages

pytestmark = pytest.mark.skipif(CompiledWalker is None, reason="compiled walker not built (pip install -e .)")


def test_the_twins_are_different_classes():
    assert CompiledWalker is not PythonWalker
    assert CompiledWalker.__module__ == "gbcs.wire._walker_c"


def test_twins_are_used_all_or_none():
    """The compiled decoders take only the compiled walker (C calls), so the backend never mixes."""
    from gbcs.wire.backend import Walker
    assert gbcs.backend.compiled_usable()
    assert Walker is CompiledWalker and len(gbcs.backend.compiled_modules()) == len(gbcs.backend.COMPILED)
    w = PythonWalker(bytes.fromhex("DF09"))
    with pytest.raises(TypeError):
        gbcs.wire.layout.compiled(gbcs.spec.specs(), "content_length").walk(w)


def _message(data: bytes):
    try:
        return gbcs.decode(data)
    except gbcs.GbcsError:
        return None


@settings(max_examples=60, deadline=None)
@given(messages())
def test_same_tape_and_pickles_across_twins(data):
    """A tree pickled by one twin's tape loads in the other's, row for row (decodes are compared
    across twins in test_twins.py)."""
    from gbcs.wire.backend import CompiledTape, PythonTape
    a = _message(data)
    if a is None:
        return
    ta = a.root.tape
    assert type(ta) is CompiledTape
    tb = PythonTape.from_state(ta.state(0))
    assert tb.n == ta.n and [ta.name(i) for i in range(ta.n)] == [tb.name(i) for i in range(tb.n)]
    assert tb.to_dict(0) == a.root.to_dict()
    assert CompiledTape.from_state(tb.state(0)).to_dict(0) == a.root.to_dict()
