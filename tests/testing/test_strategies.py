"""gbcs.testing: every use case yields messages that decode, round-trip and validate clean."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gbcs
import gbcs.testing as gt
from gbcs.builder import Envelope, general_signing, mac_wrap
from gbcs.errors import GbcsError
from gbcs.spec import specs

# The topics whose findings an unkeyed message may have: nothing can verify random bytes.
KEYED_TOPICS = {"signature", "mac", "crypto", "decryption"}
FAST = settings(max_examples=3, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _use_cases_in_table() -> set[str]:
    rows = specs().get("message_codes", "gbcs").rows
    return {r.cells["use_case"] for r in rows if r.cells["use_case"] is not None}


def test_use_cases_cover_the_table():
    listed = gt.use_cases()
    assert set(listed) == _use_cases_in_table()
    assert len(listed) == len(set(listed))
    assert "ECS17b" in listed and gt.codes_of("CS02b") == sorted(gt.codes_of("CS02b"))
    assert len(gt.codes_of("CS02b")) > 1


def _check_valid(data: bytes, keystore=None) -> None:
    message = gbcs.decode(data)
    assert gbcs.encode(message) == data
    assert message.unparsed_bytes == 0
    result = gbcs.validate(data, keystore)
    if keystore is None:
        errors = [f for f in result.findings if f.severity == "error" and f.topic not in KEYED_TOPICS]
        assert not errors, [f.to_dict() for f in errors]
    else:
        # X105 (issuer not found) is the one finding keys cannot clear: certificates carried in
        # payloads are issued by gbcs.testing's TEST CAs, and a keystore holds no CA certificates.
        left = [f for f in result.findings if f.rule != "GBCS-X105"]
        assert not left, [f.to_dict() for f in left]
        assert result.mac == "valid"
        assert result.signature in ("valid", "absent")


CHUNKS = 6      # use cases are checked in a few groups: one hypothesis run each, spread over workers


def _chunk(i: int) -> list[str]:
    return gt.use_cases()[i::CHUNKS]


def test_chunks_enumerate_every_use_case():
    assert sorted(uc for i in range(CHUNKS) for uc in _chunk(i)) == sorted(gt.use_cases())


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_use_case_generates_valid_messages(chunk):
    @settings(FAST, max_examples=2)
    @given(st.data())
    def check(data):
        for use_case in _chunk(chunk):
            message = data.draw(gt.messages(use_case=use_case), label=use_case)
            _check_valid(message)
    check()


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_use_case_with_keys_validates_without_findings(chunk, gbcs_parties):
    @settings(FAST, max_examples=1)
    @given(st.data())
    def check(data):
        for use_case in _chunk(chunk):
            message = data.draw(gt.messages(use_case=use_case, parties=gbcs_parties), label=use_case)
            _check_valid(message, gbcs_parties.keystore)
    check()


def test_signed_message_types_carry_a_valid_signature(gbcs_parties):
    @FAST
    @given(gt.messages(use_case="ECS04a", kind="command", parties=gbcs_parties))
    def check(data):
        result = gbcs.validate(data, gbcs_parties.keystore)
        assert result.signature == "valid" and result.mac == "valid"
    check()


def test_unkeyed_signatures_never_verify(gbcs_parties):
    @FAST
    @given(gt.messages(use_case="ECS04a", kind="command"))
    def check(data):
        result = gbcs.validate(data, gbcs_parties.keystore)
        assert result.signature != "valid"
    check()


def test_kind_follows_the_message_type():
    @FAST
    @given(gt.messages(use_case="ECS68"))
    def check(data):
        assert gbcs.decode(data).kind == "alert"
    check()
    with pytest.raises(ValueError, match="no command"):
        gt.messages(use_case="ECS68", kind="command")
    with pytest.raises(ValueError, match="not a use case"):
        gt.messages(use_case="XYZ99")


@pytest.mark.parametrize("code", [0x8F0A, 0x810E])
def test_alerts_carry_the_alert_code(code):
    @FAST
    @given(gt.alerts(code=code))
    def check(data):
        message = gbcs.decode(data)
        nodes = [n for _, n in message.root.walk() if n.name == "alert_code"]
        assert nodes and all(int.from_bytes(data[n.end - 2:n.end], "big") == code for n in nodes)
    check()
    with pytest.raises(ValueError, match="alerts.gbspec"):
        gt.alerts(code=0x0001)


@pytest.mark.parametrize("family", ["dlms", "gbz", "asn1"])
@pytest.mark.parametrize("kind", ["command", "response", "alert"])
def test_payloads_are_their_family(family, kind):
    cra = kind
    @FAST
    @given(gt.payloads(family, kind, message_code=0x1001 if kind == "alert" else 0x0010))
    def check(content):
        env = Envelope(cra, 7, bytes(8), bytes(range(8)), 0x1001 if kind == "alert" else 0x0010)
        data = mac_wrap(general_signing(env, content, b""), bytes(12))
        message = gbcs.decode(data)
        assert message.payload_type == family and message.unparsed_bytes == 0
    check()


def test_mutated_messages_differ_and_only_raise_gbcs_errors():
    seen_changed = []

    @settings(FAST, max_examples=40)
    @given(gt.messages(use_case="ECS52"), gt.mutated(gt.messages(use_case="ECS52")))
    def check(valid, hostile):
        seen_changed.append(hostile != valid)
        try:
            gbcs.decode(hostile)
        except GbcsError:
            pass                          # the one allowed outcome besides a tree
        result = gbcs.validate(hostile)
        assert result is not None
    check()
    assert any(seen_changed)


def test_mutations_work_at_field_boundaries():
    import random
    data = _one(gt.messages(use_case="ECS52"))
    spans = gt.boundaries(data)
    assert spans and all(0 <= s < e <= len(data) for s, e in spans)
    rnd = random.Random(1)
    for mutation in gt.MUTATIONS:
        out = gt.mutate_once(data, rnd, spans, data, mutation)
        assert isinstance(out, bytes)
    truncated = gt.mutate_once(data, rnd, spans, mutation="truncate")
    assert len(truncated) < len(data) and truncated == data[:len(truncated)]
    with pytest.raises(ValueError, match="unknown mutations"):
        gt.mutated(st.just(data), mutations=("explode",))


def _one(strategy):
    found = []

    @settings(FAST, max_examples=1)
    @given(strategy)
    def take(data):
        found.append(data)
    take()
    return found[0]


def test_boundaries_of_garbage_are_empty():
    assert gt.boundaries(b"\x00\x01") == []


@pytest.mark.parametrize("profile", gt.certs.profile_names())
def test_certificates_lint_clean_for_every_profile(profile):
    from gbcs.smki import lint_certificate

    @settings(FAST, max_examples=2)
    @given(gt.certificates(profile))
    def check(der):
        result = lint_certificate(der, issuers=gt.test_pki().issuers)
        assert result.profile == profile
        assert not result.findings, [f.to_dict() for f in result.findings]
    check()
    with pytest.raises(ValueError, match="not an SMKI profile"):
        gt.certificates("device-xx")
