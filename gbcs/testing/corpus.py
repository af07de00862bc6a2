"""Seed corpora and libFuzzer dictionaries, both generated from the spec tables.

sample() draws concrete messages from a strategy outside a test; write_corpus() writes
valid messages of every use case (and alerts) as files; dictionary_tokens() lists the byte
strings a GBCS mutator should try (APDU tags, message and alert codes, OBIS codes, COSEM class
ids, ZCL cluster and attribute ids, DLMS type tags, OIDs) for libFuzzer's -dict.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings, strategies as st

from gbcs.spec import specs
from gbcs.spec.load import SpecSet


def sample(strategy: st.SearchStrategy[bytes], n: int, *, seed: int | None = 0) -> list[bytes]:
    """Up to n examples of a strategy (fewer if it has fewer distinct ones); deterministic for a seed."""
    found: list[bytes] = []

    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value: bytes) -> None:
        found.append(value)

    if seed is not None:
        collect = hypothesis_seed(seed)(collect)
    collect()
    return found[:n]


def corpus_messages(per_use_case: int = 2, *, seed: int = 0, use_cases: Iterable[str] | None = None,
                    spec_set: SpecSet | None = None) -> Iterable[bytes]:
    """Valid messages of every use case (or of `use_cases`) and of the alert-only codes."""
    from gbcs.testing import tables
    from gbcs.testing.strategies import messages
    s = spec_set or specs()
    for use_case in (tables.use_cases(s) if use_cases is None else use_cases):
        yield from sample(messages(use_case=use_case, spec_set=s), per_use_case, seed=seed)
    if use_cases is not None:
        return
    for code in tables.all_codes(s):
        if tables.code_facts(code, s).use_case is None:
            yield from sample(messages(message_code=code, spec_set=s), per_use_case, seed=seed)


def certificate_seeds(n: int = 20, *, seed: int = 0, spec_set: SpecSet | None = None) -> list[bytes]:
    """DER certificates: the TEST parties' ones, SMKI certificates of every profile, and
    Certificate values drawn part by part from the asn1_type table (any content)."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from gbcs.testing.strategies import Parties
    from gbcs.testing.values import der_value
    parties = Parties()
    made = [cert.public_bytes(Encoding.DER) for cert in (e.certificate for e in parties.keystore)
            if cert is not None]
    from gbcs.testing.certs import certificates
    drawn = sample(der_value("Certificate", spec_set, real_certificates=False), n, seed=seed)
    return made + sample(certificates(), n, seed=seed) + drawn


def write_corpus(folder: str | Path, per_use_case: int = 2, *, seed: int = 0, target: str = "decode",
                 use_cases: Iterable[str] | None = None) -> int:
    """Write seeds for a target (messages, or certificates for `cert`) as binary files named by
    content hash; returns how many."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    seeds = certificate_seeds(20 * per_use_case, seed=seed) if target == "cert" else \
        corpus_messages(per_use_case, seed=seed, use_cases=use_cases)
    for data in seeds:
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
    return count


def dictionary_tokens(spec_set: SpecSet | None = None) -> dict[str, bytes]:
    """name -> bytes of every GBCS token worth splicing in, from the spec tables."""
    from gbcs.payload.asn1 import der_oid
    from gbcs.payload.dlms import _t as dlms_tables
    s = spec_set or specs()
    tokens: dict[str, bytes] = {}

    def enum(name: str, width: int, prefix: str, order: str = "big") -> None:
        for r in s.enum(name).rows:
            value = r.cells["value"]
            if 0 <= value < 1 << (8 * width):
                tokens[f"{prefix}_{r.cells['name']}"] = value.to_bytes(width, order)

    enum("apdu_tag", 1, "apdu")
    enum("cra_flag", 1, "cra")
    enum("security_control", 1, "security")
    enum("dlms_apdu", 1, "dlms_apdu")
    enum("gbz_profile", 2, "gbz_profile")
    for code in s.get("message_codes", "gbcs").by_key:
        tokens[f"message_code_{code:04X}"] = code.to_bytes(2, "big")
    for code in s.get("alert_codes", "gbcs").by_key:
        tokens[f"alert_code_{code:04X}"] = code.to_bytes(2, "big")
    t = dlms_tables(s)
    for raw in t.objects:
        tokens[f"obis_{raw.hex()}"] = raw
    for cid in t.classes:
        tokens[f"class_{cid}"] = cid.to_bytes(2, "big")
    for tag, typ in t.types.items():
        tokens[f"axdr_{typ.name}"] = bytes([tag])
    for r in s.enum("zcl_cluster").rows:
        tokens[f"cluster_{r.cells['name']}"] = r.cells["value"].to_bytes(2, "big")
    for item in s.of_kind("zcl_attribute"):
        for r in item.rows:
            tokens[f"attribute_{r.cells['cluster']}_{r.cells['id']:04X}"] = r.cells["id"].to_bytes(2, "little")
    for item in s.of_kind("asn1_oid"):
        for r in item.rows:
            try:
                tokens[f"oid_{r.cells['name']}"] = der_oid(r.cells["oid"])
            except Exception:  # noqa: BLE001 - an OID the encoder cannot write is simply no token
                continue
    return tokens


def _escaped(value: bytes) -> str:
    return "".join("\\x%02X" % b for b in value)


def write_dictionary(path: str | Path, spec_set: SpecSet | None = None) -> int:
    """A libFuzzer/AFL dictionary file of dictionary_tokens(); returns the number of entries."""
    lines = [f'{name}="{_escaped(value)}"' for name, value in sorted(dictionary_tokens(spec_set).items()) if value]
    Path(path).write_text("# GBCS tokens generated from specs/ by gbcs.testing.corpus\n" + "\n".join(lines) + "\n")
    return len(lines)
