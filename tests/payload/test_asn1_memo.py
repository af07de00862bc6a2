"""The ASN.1 decoder remembers verdicts and texts of recurring contents (times, key usages) and
precomputes the text of every OID the tables name: the answers must not depend on what was
decoded before, and contents of any length must stay correct (only short ones are remembered)."""
from __future__ import annotations

import pytest

from gbcs.errors import ConstraintError
from gbcs.payload import asn1
from gbcs.payload.asn1 import (MEMO_BYTES, build_key_usage, decode_der, der_generalized_time, der_oid,
                               der_sequence, der_set, der_tlv, der_utc_time)
from gbcs.spec import specs
from gbcs.wire.backend import Walker


def walk(der: bytes):
    w = Walker(der)
    w.begin("root")
    return decode_der(w, "x")


def meanings(node) -> list:
    return [(path, n.meaning) for path, n in node.walk()]


@pytest.mark.parametrize("der", [der_generalized_time("20240229120000Z"), der_utc_time("491231235959Z"),
                                 der_generalized_time("20240101000000." + "1" * (4 * MEMO_BYTES) + "Z")])
def test_a_time_reads_the_same_every_time(der):
    first = meanings(walk(der))
    assert first[-1][1].startswith(("2024-", "2049-"))
    for _ in range(3):
        assert meanings(walk(der)) == first


@pytest.mark.parametrize("text", ["20230229000000Z", "20240101000000." + "0" * (4 * MEMO_BYTES) + "Z"])
def test_a_bad_time_fails_the_same_every_time(text):
    for _ in range(3):
        with pytest.raises(ConstraintError, match="is not YYYYMMDDhhmmss"):
            walk(der_generalized_time(text))


def test_a_valid_and_an_invalid_time_of_the_same_bytes_as_another_type_stay_apart():
    # the same 13 bytes: a valid UTCTime, and a GeneralizedTime that is not valid
    assert walk(der_utc_time("240101000000Z")).meaning is None
    with pytest.raises(ConstraintError):
        walk(der_tlv(0x18, b"240101000000Z"))


def test_known_oids_read_as_their_names_and_unknown_ones_as_numbers():
    t = asn1._tables(specs())
    dotted, name = next(iter(t.oids.items()))
    node = walk(der_oid(dotted))
    assert node.find("value").meaning == f"{dotted} ({name[0]})"
    node = walk(der_oid("1.2.3.4.5.6.7.8.9.123456789"))
    assert node.find("value").meaning == "1.2.3.4.5.6.7.8.9.123456789"


def test_key_usage_bits_read_the_same_every_time_and_at_any_length():
    t = asn1._tables(specs())
    names = t.enums["asn1_key_usage_bit"]
    raw = bytes([0x80]) + bytes(4 * MEMO_BYTES)
    texts = [asn1._named_bits_text(t, names, raw, 0) for _ in range(3)]
    assert texts[0] == texts[1] == texts[2] == asn1._bits_text(names, raw, 0)
    short = build_key_usage("digital_signature")
    assert asn1._named_bits_text(t, names, short[3:], short[2]) == "digital_signature"


def test_paths_in_errors_name_the_nesting():
    bad = der_sequence(der_set(der_sequence(der_tlv(0x01, b"\x01"))))
    with pytest.raises(ConstraintError) as exc:
        walk(bad)
    assert exc.value.field.endswith("x.element[0].element[0].element[0].value")
