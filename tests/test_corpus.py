"""The real DCC Reference Test Data Set (GBCS_RTDS): every message decodes completely,
names its use case, and round-trips byte for byte."""
from __future__ import annotations

import gbcs
from support import rtds_kind, rtds_use_case

# Alert-only message codes carry no use case of their own (GBCS future-dated, firmware,
# generic and integrity alerts).
ALERT_ONLY = {0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF, 0x00D5, 0x00F0, 0x00F2, 0x1000, 0x1001}


def _same_use_case(folder: str, use_case: str) -> bool:
    # Folders qualify the use case (CS02bSupplierBySupplier, ECS47Activate, CCS05CCS04).
    return folder.startswith(use_case.replace("/", "")) or folder == use_case


def test_every_rtds_message_decodes_completely(rtds):
    failures = []
    for path, data in rtds:
        try:
            m = gbcs.decode(data)
        except gbcs.GbcsError as exc:
            failures.append(f"{path.name}: {exc}")
            continue
        if m.unparsed_bytes:
            failures.append(f"{path.name}: {m.unparsed_bytes} unparsed bytes")
        if gbcs.encode(m) != data:
            failures.append(f"{path.name}: does not round-trip")
        if m.kind != rtds_kind(path):
            failures.append(f"{path.name}: kind {m.kind}")
    assert not failures, f"{len(failures)} of {len(rtds)} failed:\n" + "\n".join(failures[:40])
    assert len(rtds) == 977


def test_every_rtds_message_names_its_use_case(rtds):
    wrong = []
    for path, data in rtds:
        m = gbcs.decode(data)
        folder = rtds_use_case(path)
        if m.message_code in ALERT_ONLY:
            assert m.use_case is None, path.name
            continue
        if m.use_case is None or not _same_use_case(folder, m.use_case):
            wrong.append(f"{path.name}: code 0x{m.message_code:04X} -> {m.use_case}")
    # RTDS 4.5.0 quirk: the CS04B ERROR command and response carry CS04AC's code 0x000F.
    assert sorted(wrong) == sorted(
        f"{p.name}: code 0x000F -> CS04AC" for p, _ in rtds
        if p.parent.name == "8.8.2_CS04B" and "_ERROR_" in p.name), "\n".join(wrong)
