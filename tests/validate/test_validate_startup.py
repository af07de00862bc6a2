"""Start-up stays light: decoding without keys imports neither `cryptography` nor dpkt, and
decode runs the integrity checks only, not every rule check. Each case runs in a fresh process
(sys.modules of this one already holds everything)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gbcs import builder

DLMS_GET = bytes.fromhex("D9200003E800010100010000000201FF020100")
PRECOMMAND = builder.precommand(builder.Envelope("command", 1000, bytes.fromhex("AB00000000010000"),
                                                 bytes.fromhex("AB000000000000E1"), 0x0059), DLMS_GET)

_PROBE = r"""
import io, json, sys
from contextlib import redirect_stdout
what, path = sys.argv[1], sys.argv[2]
code = 0
if what == "api":
    import gbcs
    gbcs.decode(bytes.fromhex(open(path).read().strip()))
else:
    from gbcs.cli import main
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            main([*what.split(), path])
        except SystemExit as exit:
            code = exit.code
    assert out.getvalue().strip(), "nothing was written"
engine = sys.modules["gbcs.validate.engine"]     # (gbcs.validate names a function too)
print(json.dumps({"exit": code, "cryptography": any(m == "cryptography" or m.startswith("cryptography.") for m in sys.modules),
                  "dpkt": "dpkt" in sys.modules, "smki": "gbcs.smki" in sys.modules,
                  "certificate_checks": "gbcs.validate.certificate" in sys.modules,
                  "checks": len(engine._CHECKS)}))
"""


def _modules(what: str, path) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, what, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def one_hex(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "one.hex"
    path.write_text(PRECOMMAND.hex().upper() + "\n")
    return path


@pytest.mark.parametrize("what", ["api", "decode", "decode --format jsonl"])
def test_decoding_without_keys_imports_no_cryptography(what, one_hex):
    loaded = _modules(what, one_hex)
    assert loaded["exit"] == 0
    assert not loaded["cryptography"] and not loaded["dpkt"]


def test_decode_runs_no_rule_checks(one_hex):
    loaded = _modules("decode", one_hex)
    assert loaded["checks"] == 0 and not loaded["smki"]      # no topic module was even imported


def test_validate_does_load_the_checks(one_hex):
    loaded = _modules("validate", one_hex)     # the probe can tell: it sees what validate loads
    assert loaded["exit"] == 1                # a pre-command of a non-critical use case: GBCS-E107
    assert loaded["checks"] > 0 and loaded["certificate_checks"]
    # gbcs.smki (the certificate linter) is imported only when a message carries a certificate
    assert not loaded["smki"]


def test_crypto_names_load_on_first_use():
    import gbcs.crypto
    assert gbcs.crypto.Keystore.__module__ == "gbcs.crypto.keystore"
    assert gbcs.crypto.normalise_eui("ab-00-00-00-00-01-00-00") == bytes.fromhex("AB00000000010000")
    assert set(gbcs.crypto.__all__) <= set(dir(gbcs.crypto))
    with pytest.raises(AttributeError):
        gbcs.crypto.no_such_name  # noqa: B018


def test_a_capture_is_still_told_from_text(tmp_path):
    from gbcs.io.inputs import is_capture, iter_inputs
    pcap = tmp_path / "x.bin"
    pcap.write_bytes(bytes.fromhex("D4C3B2A1") + bytes(20))
    assert is_capture(pcap.read_bytes()) and not is_capture(PRECOMMAND)
    items = list(iter_inputs([str(pcap)]))
    assert all(i.encoding == "capture" for i in items)
