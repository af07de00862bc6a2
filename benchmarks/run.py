"""Every speed and memory figure of the fast-path issue, in one run:

    python benchmarks/run.py [--repeat N] [--quick]

- decode throughput, compiled twins vs pure Python (GBCS_PURE_PYTHON=1), same messages;
- tshark's GBCS dissector on the same messages (when tshark is installed): DLT_USER0 frames
  made with text2pcap, fields mode, its start-up (a one-frame capture) subtracted;
- `gbcs validate --keys` (text, jsonl with and without trees; the corpus once and ten times) vs the bare
  cryptography it must do: every message signature verification, ECDH agreement (agreed
  secrets cached, as the validator does), KDF, GMAC check, payload decryption and carried
  certificate's CA signature check of the run is recorded, then replayed alone (outermost
  operations only). Ratios are given for the whole command and after its start-up;
- start-up: `gbcs --version`, `gbcs decode one.hex`, the first decode in a fresh process;
- peak memory per input byte: the 1 MB DLMS message of issue 8, through the API and through
  `gbcs decode --format jsonl`.

Messages: the RTDS corpus when GBCS_RTDS is set (with its keystore), else the project's
examples (examples/captures, examples/keys). Each figure comes from a separate process.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
BIG_HEAD = "DF090301000000000000010800DB1234567890A00890B3D51F30010000000200CC830F424B0F000000010002830F4240"


def corpus() -> tuple[list[bytes], Path | None, str]:
    rtds = os.environ.get("GBCS_RTDS")
    if rtds and Path(rtds).is_dir():
        files = sorted(Path(rtds).glob("RTDS-*/*/*.HEX"))
        keys = Path(rtds) / "keystore"
        return [bytes.fromhex(f.read_text().strip()) for f in files], keys if keys.is_dir() else None, "RTDS"
    sys.path.insert(0, str(ROOT))
    from gbcs.io.inputs import iter_inputs
    msgs = [i.data for i in iter_inputs([str(ROOT / "examples" / "captures")]) if i.data is not None]
    return msgs, ROOT / "examples" / "keys", "examples"


def env(pure: bool) -> dict:
    e = dict(os.environ)
    e["GBCS_PURE_PYTHON"] = "1" if pure else "0"
    e.pop("GBCS_PROGRESS", None)
    return e


CPU: dict[str, float] = {}      # CPU seconds (user + system) of the last wall() command, best run


def wall(cmd: list[str], *, env_=None, stdin=None, repeat: int = 3) -> float:
    """Best wall time of `cmd`; its CPU time goes to CPU["last"] (robust on a busy machine)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env_, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    CPU["last"] = best_cpu
    return best


_DECODE = r"""
import gc, json, sys, time
import gbcs, gbcs.backend
msgs = [bytes.fromhex(l) for l in open(sys.argv[1]).read().split()]
gbcs.decode(msgs[0])
best = best_cpu = float("inf")
for _ in range(int(sys.argv[2])):
    t0, c0 = time.perf_counter(), time.process_time()
    for m in msgs:
        try:
            gbcs.decode(m)
        except gbcs.GbcsError:
            pass
    best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
print(json.dumps({"seconds": best, "cpu": best_cpu, "messages": len(msgs), "backend": gbcs.backend.describe()}))
"""


def decode_rate(hexfile: Path, pure: bool, repeat: int) -> dict:
    out = subprocess.run([PY, "-c", _DECODE, str(hexfile), str(repeat)], env=env(pure), check=True,
                         capture_output=True, text=True).stdout
    r = json.loads(out)
    r["rate"], r["cpu_rate"] = r["messages"] / r["seconds"], r["messages"] / r["cpu"]
    return r


def tshark_rate(msgs: list[bytes], tmp: Path) -> dict | None:
    tshark, text2pcap = shutil.which("tshark"), shutil.which("text2pcap")
    if not tshark or not text2pcap:
        return None

    def pcap(name: str, frames: list[bytes]) -> Path:
        dump = tmp / f"{name}.txt"
        with dump.open("w") as fh:
            for frame in frames:
                for off in range(0, len(frame), 16):
                    fh.write(f"{off:06x} {frame[off:off + 16].hex(' ')}\n")
        out = tmp / f"{name}.pcap"
        subprocess.run([text2pcap, "-q", "-l", "147", str(dump), str(out)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return out

    uat = 'uat:user_dlts:"User 0 (DLT=147)","gbcs_message","0","","0",""'
    # the dissector exists under that name?
    protos = subprocess.run([tshark, "-G", "protocols"], capture_output=True, text=True).stdout
    if "gbcs" not in protos.lower():
        return {"skipped": "this tshark has no GBCS dissector"}
    many, one = pcap("many", msgs), pcap("one", msgs[:1])

    def run(p: Path) -> float:
        return wall([tshark, "-n", "-r", str(p), "-o", uat, "-T", "fields", "-e", "frame.number",
                     "-e", "gbcs_message.grouping_header.message_code"], repeat=3)
    check = subprocess.run([tshark, "-n", "-r", str(one), "-o", uat, "-V"], capture_output=True, text=True).stdout
    t_many = run(many)
    c_many = CPU["last"]
    t_one = run(one)
    c_one = CPU["last"]
    seconds, cpu = max(t_many - t_one, 1e-9), max(c_many - c_one, 1e-9)
    return {"seconds": seconds, "messages": len(msgs), "rate": len(msgs) / seconds, "startup": t_one,
            "cpu_rate": len(msgs) / cpu, "dissected": "GBCS" in check or "gbcs" in check.lower()}


_CRYPTO = r"""
import json, sys, time
import gbcs
from gbcs.crypto import Keystore, ecdsa, gcm, kdf
from gbcs.smki import signature
calls, depth = [], [0]
def recording(module, name):
    original = getattr(module, name)
    def wrapper(*args, **kwargs):
        # only the outermost operation is replayed: gmac_matches runs open_, which must not count twice
        if depth[0] == 0:
            calls.append((original, args, kwargs))
        depth[0] += 1
        try:
            return original(*args, **kwargs)
        finally:
            depth[0] -= 1
    for mod in [m for n, m in list(sys.modules.items()) if n.startswith("gbcs") and m is not None]:
        for attr, value in list(vars(mod).items()):
            if value is original:
                setattr(mod, attr, wrapper)
# every cryptographic operation a validator must make: message signatures, ECDH (once per key
# pair: agreed secrets are cached), the KDF of each MAC and payload key, GMAC checks, payload
# decryption, and the CA signature on each certificate a message carries
for module, name in ((ecdsa, "verify_raw"), (kdf, "ecdh"), (kdf, "derive_key"), (gcm, "open_"),
                     (gcm, "gmac_matches"), (gcm, "gmac"), (signature, "verify")):
    recording(module, name)
msgs = [bytes.fromhex(l) for l in open(sys.argv[1]).read().split()]
list(gbcs.validate_many(msgs[:1], Keystore.load([sys.argv[2]])))     # imports and tables, not counted
ks = Keystore.load([sys.argv[2]])          # a fresh keystore: every ECDH of the run is counted
calls.clear()
for m in msgs:
    gbcs.validate(m, ks)
counts = {}
for f, a, k in calls:
    counts[f.__name__] = counts.get(f.__name__, 0) + 1
best = best_cpu = float("inf")
for _ in range(10):          # the best of ten: a busy machine only ever adds time
    t0, c0 = time.perf_counter(), time.process_time()
    for f, a, k in calls:
        f(*a, **k)
    best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
print(json.dumps({"counts": counts, "seconds": best, "cpu": best_cpu}))
"""


def validate_vs_crypto(msgs: list[bytes], keys: Path, hexfile: Path, tmp: Path, fmt: str = "jsonl") -> dict:
    """`gbcs validate --keys` over `hexfile` (wall and CPU of the whole command, and after the
    start-up: minus a one-message run) and the bare cryptography of the same messages.
    `fmt` is the --format, optionally followed by more options ("jsonl --no-tree")."""
    crypto = json.loads(subprocess.run([PY, "-c", _CRYPTO, str(hexfile), str(keys)], env=env(False), check=True,
                                       capture_output=True, text=True).stdout)
    command = [PY, "-m", "gbcs.cli", "validate", "--keys", str(keys), "--format", *fmt.split()]
    t_validate = wall([*command, str(hexfile)], env_=env(False), repeat=3)
    c_validate = CPU["last"]
    t_start = wall([*command, str(_one_file(msgs[0], tmp))], env_=env(False), repeat=3)
    c_start = CPU["last"]
    return {"format": fmt, "validate": t_validate, "validate_cpu": c_validate, "validate_startup": t_start,
            "validate_work": t_validate - t_start, "validate_work_cpu": c_validate - c_start,
            "crypto": crypto["seconds"], "crypto_cpu": crypto["cpu"], "counts": crypto["counts"]}


_SPLIT = r"""
import io, json, sys, time
import gbcs.crypto, gbcs.io.stream, gbcs.validate
validation = sys.modules["gbcs.validate"]      # the package (gbcs.validate is also a function's name)
from gbcs.crypto import Keystore
from gbcs.io.inputs import iter_inputs
from gbcs.io.jsonout import write_jsonl
from gbcs.io.records import validated
from gbcs.io.text import write_text
path, keys = sys.argv[1], sys.argv[2]
keystore = Keystore.load([keys])
clock = time.perf_counter
spent = {"decode": 0.0, "integrity": 0.0, "validate": 0.0}
def timing(stage, function):
    def timed(*args, **kwargs):
        t0 = clock()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += clock() - t0
    return timed
# the stages of the real pipeline, timed where it calls them (each call adds two clock reads);
# validate = integrity + the rule checks (gbcs.validate.check)
gbcs.io.stream._decoded = timing("decode", gbcs.io.stream._decoded)
gbcs.crypto.check_integrity = timing("integrity", gbcs.crypto.check_integrity)
validation.check = timing("validate", validation.check)
def run(write):
    results = validated(gbcs.io.stream.decode_items(iter_inputs([path])), keystore)
    write(results, io.StringIO())
run(write_jsonl)                    # imports, tables, agreed secrets, certificate lints
out = {}
for name, write in (("text", lambda r, o: write_text(r, o, tree=False, summary=True)), ("jsonl", write_jsonl)):
    best = None
    for _ in range(2):
        for k in spent:
            spent[k] = 0.0
        t0 = clock()
        run(write)
        total = clock() - t0
        if best is None or total < best["total"]:
            best = {"total": total, **spent}
    best["checks"] = best.pop("validate") - best["integrity"]
    best["rest"] = best["total"] - best["decode"] - best["integrity"] - best["checks"]
    out[name] = best
t0 = clock()
items = list(iter_inputs([path]))
out["read"] = clock() - t0
print(json.dumps({"messages": len(items), "cpu": out}))
"""


def validate_split(hexfile: Path, keys: Path) -> dict:
    """Microseconds per message (wall, best of two) of the stages of `gbcs validate --keys` (text
    and jsonl), in one process on the compiled build, timed where the pipeline calls them:
    decode, integrity (signature, MAC and decryption: the cryptography and what surrounds it),
    rule checks, and the rest (reading and grouping the input, statuses, findings, records and
    writing the output); `read` is the input reading alone (part of the rest)."""
    out = json.loads(subprocess.run([PY, "-c", _SPLIT, str(hexfile), str(keys)], env=env(False), check=True,
                                    capture_output=True, text=True).stdout)
    n = out["messages"]
    split = {fmt: {stage: seconds / n * 1e6 for stage, seconds in out["cpu"][fmt].items()} for fmt in ("text", "jsonl")}
    split["read"] = out["cpu"]["read"] / n * 1e6
    return split


def _one_file(m: bytes, tmp: Path) -> Path:
    p = tmp / "one.hex"
    p.write_text(m.hex() + "\n")
    return p


_FIRST = r"""
import time
data = bytes.fromhex(open(__import__("sys").argv[1]).read().strip())
t0, c0 = time.perf_counter(), time.process_time()
import gbcs
t1, c1 = time.perf_counter(), time.process_time()
gbcs.decode(data)
t2, c2 = time.perf_counter(), time.process_time()
print(t1 - t0, t2 - t1, c1 - c0, c2 - c1)
"""


def startup(one: Path) -> dict:
    out = {"version": wall([PY, "-m", "gbcs.cli", "--version"], env_=env(False), repeat=5)}
    out["version_cpu"] = CPU["last"]
    out["decode_one"] = wall([PY, "-m", "gbcs.cli", "decode", str(one)], env_=env(False), repeat=5)
    out["decode_one_cpu"] = CPU["last"]
    gbcs_bin = Path(PY).with_name("gbcs")
    if gbcs_bin.exists():
        out["decode_one_script"] = wall([str(gbcs_bin), "decode", str(one)], env_=env(False), repeat=5)
    firsts = []
    for _ in range(5):
        firsts.append(tuple(map(float, subprocess.run([PY, "-c", _FIRST, str(one)], env=env(False), check=True,
                                                      capture_output=True, text=True).stdout.split())))
    for i, key in enumerate(("import", "first_decode", "import_cpu", "first_decode_cpu")):
        out[key] = min(f[i] for f in firsts)
    return out


_PEAK = r"""
import resource, sys
import gbcs
data = bytes.fromhex(open(sys.argv[1]).read().strip())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
m = gbcs.decode(data)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, len(data))
"""


def memory(tmp: Path) -> dict:
    big = tmp / "big.hex"
    big.write_text(BIG_HEAD + "00" * 1_000_000 + "00\n")
    before, after, size = map(int, subprocess.run([PY, "-c", _PEAK, str(big)], env=env(False), check=True,
                                                  capture_output=True, text=True).stdout.split())
    out = {"bytes": size, "api_peak_mb": after / 1024, "api_growth_per_byte": (after - before) * 1024 / size}
    out["jsonl_peak_mb"], out["jsonl_seconds"] = cli_peak("decode", "--format", "jsonl", str(big))
    return out


def cli_peak(*args: str) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of `gbcs ARGS`, read from the rusage of a parent that only waits."""
    t0 = time.perf_counter()
    r = subprocess.run([PY, "-c", "import resource, subprocess, sys;"
                        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
                        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                        PY, "-m", "gbcs.cli", *args],
                       env=env(False), capture_output=True, text=True, check=True)
    return int(r.stdout.strip()) / 1024, time.perf_counter() - t0


PER_FILE = 2_000


def streaming(msgs: list[bytes], tmp: Path, counts=(10_000, 200_000)) -> dict:
    """Peak RSS of `gbcs validate --format jsonl` over `counts` messages: flat if it streams
    (the issue asks 10k vs 1M within +-20 MB: `--stream 10000,1000000`)."""
    out = {}
    for n in counts:
        # files of PER_FILE messages in one folder: a file is read whole (and files have a size
        # limit), so one huge file would measure the reader, not the stream
        folder = tmp / f"stream-{n}"
        folder.mkdir()
        for first in range(0, n, PER_FILE):
            with (folder / f"{first // PER_FILE:06d}.hex").open("w") as fh:
                for i in range(first, min(n, first + PER_FILE)):
                    fh.write(msgs[i % len(msgs)].hex() + "\n")
        out[n], out[f"{n}_seconds"] = cli_peak("validate", "--format", "jsonl", str(folder))
        shutil.rmtree(folder)
    return out


def _print_validate(v: dict, n: int) -> None:
    counts = ", ".join(f"{k} {c}" for k, c in sorted(v["counts"].items()))
    crypto, crypto_cpu = max(v["crypto"], 1e-9), max(v["crypto_cpu"], 1e-9)
    print(f"validate --keys --format {v['format']}, {n:,} messages: {v['validate']:.2f} s wall,"
          f" {v['validate_cpu']:.2f} s CPU for the whole command; {v['validate_work']:.2f} s wall,"
          f" {v['validate_work_cpu']:.2f} s CPU after start-up (a one-message run subtracted)")
    print(f"        bare crypto: {v['crypto']:.3f} s wall, {v['crypto_cpu']:.3f} s CPU [{counts}];"
          f" ratio after start-up {v['validate_work'] / crypto:.1f}x wall, {v['validate_work_cpu'] / crypto_cpu:.1f}x CPU;"
          f" whole command {v['validate'] / crypto:.1f}x wall, {v['validate_cpu'] / crypto_cpu:.1f}x CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=None,
                    help="times the messages are repeated for decode (default 10 for RTDS, 300 for the examples)")
    ap.add_argument("--quick", action="store_true", help="skip memory and tshark")
    ap.add_argument("--stream", default="10000,200000",
                    help="message counts for the streaming memory figure (default 10000,200000)")
    ap.add_argument("--memory-only", action="store_true", help="only the memory and streaming figures")
    args = ap.parse_args()
    msgs, keys, name = corpus()
    if args.repeat is None:
        args.repeat = 10 if name == "RTDS" else 300
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        hexfile = tmp / "corpus.hex"
        hexfile.write_text("\n".join(m.hex() for m in msgs * args.repeat) + "\n")
        print(f"messages: {name}, {len(msgs)} x {args.repeat} = {len(msgs) * args.repeat}")
        if args.memory_only:
            _memory_figures(msgs, tmp, args)
            return
        # alternate the two backends (a busy machine slows whole stretches of time), keep the best
        runs = [decode_rate(hexfile, pure, 2) for _ in range(3) for pure in (False, True)]
        compiled = max(runs[0::2], key=lambda r: r["cpu_rate"])
        pure = max(runs[1::2], key=lambda r: r["cpu_rate"])
        print(f"decode  compiled: {compiled['rate']:10,.0f} msg/s wall, {compiled['cpu_rate']:10,.0f} msg/s CPU"
              f"   [{compiled['backend']}]")
        print(f"decode  pure:     {pure['rate']:10,.0f} msg/s wall, {pure['cpu_rate']:10,.0f} msg/s CPU"
              f"   [{pure['backend']}]")
        print(f"        compiled / pure = {compiled['rate'] / pure['rate']:.2f}x wall,"
              f" {compiled['cpu_rate'] / pure['cpu_rate']:.2f}x CPU")
        if not args.quick:
            ts = tshark_rate(msgs * args.repeat, tmp)
            if ts is None:
                print("tshark: not installed (apt-get install tshark)")
            elif "skipped" in ts:
                print(f"tshark: {ts['skipped']}")
            else:
                print(f"tshark  gbcs dissector: {ts['rate']:10,.0f} msg/s wall, {ts['cpu_rate']:10,.0f} msg/s CPU"
                      f" (start-up {ts['startup']:.2f} s subtracted; dissected: {ts['dissected']})")
                print(f"        compiled gbcs / tshark = {compiled['rate'] / ts['rate']:.2f}x wall,"
                      f" {compiled['cpu_rate'] / ts['cpu_rate']:.2f}x CPU")
        if keys is not None:
            # the corpus once (as the issue measures it) and ten times; the few examples 100 and 1000 times
            for times in ((1, 10) if name == "RTDS" else (100, 1000)):
                plain = tmp / f"plain-{times}.hex"
                plain.write_text("\n".join(m.hex() for m in msgs * times) + "\n")
                for fmt in ("text", "jsonl", "jsonl --no-tree"):
                    v = validate_vs_crypto(msgs, keys, plain, tmp, fmt)
                    _print_validate(v, len(msgs) * times)
            split = validate_split(plain, keys)
            for fmt in ("text", "jsonl"):
                print(f"validate --keys --format {fmt} per message by stage (compiled, the last corpus above): "
                      + ", ".join(f"{stage} {split[fmt][stage]:.0f} us"
                                  for stage in ("total", "decode", "integrity", "checks", "rest"))
                      + (f" (reading the input alone: {split['read']:.0f} us)" if fmt == "text" else ""))
        s = startup(_one_file(msgs[0], tmp))
        print(f"start-up: gbcs --version {s['version']:.3f} s wall ({s['version_cpu']:.3f} s CPU);"
              f" gbcs decode one.hex {s['decode_one']:.3f} s wall ({s['decode_one_cpu']:.3f} s CPU)"
              + (f", console script {s['decode_one_script']:.3f} s wall" if "decode_one_script" in s else ""))
        print(f"          import gbcs {s['import'] * 1000:.0f} ms wall ({s['import_cpu'] * 1000:.0f} ms CPU);"
              f" first decode in a fresh process {s['first_decode'] * 1000:.0f} ms wall"
              f" ({s['first_decode_cpu'] * 1000:.0f} ms CPU)")
        if not args.quick:
            _memory_figures(msgs, tmp, args)


def _memory_figures(msgs: list[bytes], tmp: Path, args) -> None:
    mem = memory(tmp)
    print(f"memory: 1 MB message: API peak {mem['api_peak_mb']:.0f} MB"
          f" ({mem['api_growth_per_byte']:.0f} bytes per input byte);"
          f" decode --format jsonl peak {mem['jsonl_peak_mb']:.0f} MB ({mem['jsonl_seconds']:.1f} s)")
    counts = tuple(int(n) for n in args.stream.split(","))
    peaks = streaming(msgs, tmp, counts)
    values = [peaks[n] for n in counts]
    print("streaming: gbcs validate --format jsonl peak "
          + ", ".join(f"{peaks[n]:.0f} MB for {n:,} messages ({peaks[f'{n}_seconds']:.0f} s)" for n in counts)
          + f" (spread {max(values) - min(values):.0f} MB)")


if __name__ == "__main__":
    main()
