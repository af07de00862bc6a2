"""Hostile XML is refused before any other work, each kind with its own reason (duis-notes §11)."""
from __future__ import annotations

import pytest

from duis_world import SR, request
from gbcs.duis.parsing import MAX_DEPTH, parse_xml
from gbcs.duis.validate import validate_document
from gbcs.errors import DuisXmlRefused

XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<sr:Request xmlns:sr="' + SR.encode() + b'"><sr:Body>&xxe;</sr:Body></sr:Request>')
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']>\n<r>&lol9;</r>')
EXTERNAL_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "http://example.invalid/evil.dtd">\n<r/>'
XINCLUDE = (b'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" '
            b'parse="text"/></r>')
UNDECLARED_ENTITY = b"<r>&undeclared;</r>"


@pytest.mark.parametrize("data, reason", [
    (XXE, "doctype"),
    (LAUGHS, "doctype"),
    (EXTERNAL_DTD, "doctype"),
    (XINCLUDE, "xinclude"),
    (UNDECLARED_ENTITY, "entity"),
    (b"", "empty"),
    (b"<r><unclosed></r>", "malformed"),
    (b"<a>" * (MAX_DEPTH + 1) + b"</a>" * (MAX_DEPTH + 1), "depth"),
    (b"<a>" * 300 + b"</a>" * 300, "depth"),
])
def test_attacks_are_refused_with_their_reason(data, reason):
    with pytest.raises(DuisXmlRefused) as err:
        parse_xml(data)
    assert err.value.reason == reason
    assert "/etc/passwd" not in err.value.message or reason != "xinclude"


def test_oversize_is_refused_before_parsing():
    with pytest.raises(DuisXmlRefused) as err:
        parse_xml(request(), max_bytes=100)
    assert err.value.reason == "size"


def test_utf16_doctype_is_refused_after_parsing():
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r []><r/>'.encode("utf-16")
    with pytest.raises(DuisXmlRefused) as err:
        parse_xml(data)
    assert err.value.reason in ("doctype", "malformed")


def test_refusal_is_a_u001_finding_and_stops_the_checks():
    result = validate_document(XXE, "xxe.xml")
    assert [f.rule for f in result.findings] == ["GBCS-U001"]
    assert result.signature == "unchecked" and result.schema == "unchecked"


def test_a_normal_request_parses():
    tree = parse_xml(request())
    assert tree.getroot().tag == f"{{{SR}}}Request"
    assert not [f for f in validate_document(request()).findings if f.rule == "GBCS-U001"]
