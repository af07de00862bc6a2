"""Validation on a local Dask cluster gives exactly the records of a single process."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pyarrow = pytest.importorskip("pyarrow")

from gbcs.dask.plan import plan_file  # noqa: E402
from gbcs.decoding import is_gbt_block  # noqa: E402
from gbcs.io.inputs import iter_inputs  # noqa: E402
from gbcs.io.records import validation_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEYS = str(EXAMPLES / "keys")
ACB = "AB00000000000002"


def message_lines(name: str) -> list[str]:
    text = (EXAMPLES / "captures" / name).read_text()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    """Several copies of the example captures, plus one long file mixing messages and GBT runs."""
    root = tmp_path_factory.mktemp("capture")
    for i in range(3):
        shutil.copytree(EXAMPLES / "captures", root / f"copy{i}")
    lines = []
    single = message_lines("ecs52-read-firmware-version.txt")
    gbt = message_lines("gbt-blocks.txt")
    for i in range(40):
        lines += single
        if i % 7 == 0:
            lines += gbt
    (root / "long.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def client():
    import gbcs.dask
    with gbcs.dask.connect("local:2") as c:
        yield c


def single_process(paths, keys=KEYS):
    from gbcs.crypto import Keystore
    ks = Keystore.load([keys]) if keys else None
    return list(validation_records(iter_inputs([str(p) for p in paths]), ks, acb=ACB))


def test_partitions_cover_every_message_once_and_never_cut_a_gbt_run(capture):
    long = str(capture / "long.txt")
    parts = plan_file(long, per_partition=5)
    items = list(iter_inputs([long]))
    covered = [i for p in parts for i in range(p.first, p.first + p.count)]
    assert covered == list(range(len(items)))
    for p in parts[1:]:                 # a partition never starts inside a run of GBT blocks
        before, first = items[p.first - 1], items[p.first]
        assert not (is_gbt_block(before.data) and is_gbt_block(first.data))
    assert len(parts) > 5


def test_cluster_records_equal_single_process_field_by_field(capture, client):
    import gbcs.dask
    expected = single_process([capture])
    got = list(gbcs.dask.stream(client, [str(capture)], keystore=KEYS, acb=ACB, per_partition=7))
    assert len(got) == len(expected) > 100
    for e, g in zip(expected, got):
        assert e.keys() == g.keys()
        for key in e:
            assert g[key] == e[key], (e["source"], key)
    assert any(r["source"].count("..") for r in got)          # reassembled GBT runs are there


def test_bag_and_dataframes(capture, client):
    import gbcs.dask
    bag = gbcs.dask.validate([capture], keystore=KEYS, acb=ACB, per_partition=50)
    frames = gbcs.dask.to_dataframe(bag)
    messages = frames.messages.compute()
    findings = frames.findings.compute()
    expected = single_process([capture])
    assert list(messages["source"]) == [r["source"] for r in expected]
    assert str(messages["message_code"].dtype) == "Int32"
    assert str(messages["originator_counter"].dtype) == "UInt64"
    assert len(findings) == sum(len(r["findings"]) for r in expected)


def test_bag_of_raw_messages(client):
    import dask.bag as db
    import gbcs.dask
    data = bytes.fromhex(message_lines("ecs52-read-firmware-version.txt")[0])
    records = gbcs.dask.validate(db.from_sequence([data, b"\xdf\x00"], npartitions=2)).compute()
    assert [r["ok"] for r in records] == [True, False]
    assert records[1]["findings"][0]["topic"] == "decode"


def test_worker_killed_mid_run_loses_and_duplicates_nothing(capture, client):
    import gbcs.dask
    expected = [r["source"] for r in single_process([capture])]
    stream = gbcs.dask.stream(client, [str(capture)], keystore=KEYS, acb=ACB, per_partition=3, window=4)
    got = [next(stream)["source"]]
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    os.kill(victim, 9)
    got += [r["source"] for r in stream]
    assert got == expected
    client.wait_for_workers(2, timeout=60)        # the nanny restarts the killed worker


def test_parquet_reads_back_with_pyarrow_and_pandas(capture, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq
    from gbcs.io.parquet import FINDING_COLUMNS, MESSAGE_COLUMNS, write_parquet
    records = single_process([capture])
    passed = list(write_parquet(iter(records), tmp_path / "out", batch=40))
    assert passed == records
    table = pq.read_table(tmp_path / "out" / "messages")
    assert table.num_rows == len(records)
    assert [f.name for f in table.schema] == [c[0] for c in MESSAGE_COLUMNS]
    assert len(list((tmp_path / "out" / "messages").glob("part-*.parquet"))) == -(-len(records) // 40)
    frame = pd.read_parquet(tmp_path / "out" / "findings")
    assert list(frame.columns) == [c[0] for c in FINDING_COLUMNS]
    assert len(frame) == sum(len(r["findings"]) for r in records)


def test_no_dask_import_without_scheduler():
    code = ("import sys, gbcs, gbcs.cli, gbcs.io.parquet; "
            "import gbcs.cli.messages; assert 'dask' not in sys.modules and 'distributed' not in sys.modules, "
            "sorted(m for m in sys.modules if 'dask' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_local_address_is_checked():
    import gbcs.dask
    with pytest.raises(ValueError, match="local:N"):
        gbcs.dask.connect("local:two")


def run_cli(*args):
    from click.testing import CliRunner
    from gbcs.cli import main
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_scheduler_gives_the_single_process_output(capture):
    args = ["validate", "--format", "jsonl", "--keys", KEYS, "--acb", ACB, str(capture)]
    single = run_cli(*args)
    clustered = run_cli(*args[:1], "--scheduler", "local:2", *args[1:])
    assert clustered.exit_code == single.exit_code
    assert clustered.stdout == single.stdout and single.stdout.count("\n") > 100


def test_cli_scheduler_on_the_rtds_corpus(rtds):
    root = rtds[0][0].parents[2]
    args = ["validate", "--format", "jsonl", "--keys", str(root / "keystore"), str(root / "RTDS-4.5.0")]
    single = run_cli(*args)
    clustered = run_cli(*args[:1], "--scheduler", "local:2", *args[1:])
    assert clustered.stdout == single.stdout and single.stdout.count("\n") == len(rtds)


def test_cli_parquet_needs_a_folder_and_writes_both_tables(capture, tmp_path):
    import pandas as pd
    assert run_cli("validate", "--format", "parquet", str(capture)).exit_code == 2
    result = run_cli("validate", "--format", "parquet", "-o", str(tmp_path / "pq"), "--keys", KEYS, "--acb", ACB,
                     str(capture))
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    messages = pd.read_parquet(tmp_path / "pq" / "messages")
    assert len(messages) == len(single_process([capture])) and messages["ok"].all()


def test_cli_scheduler_refuses_stdin():
    assert run_cli("validate", "--scheduler", "local:1", "-").exit_code == 2
