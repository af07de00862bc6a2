"""`gbcs validate --no-tree`: json/jsonl records without the decoded tree, the same otherwise;
`gbcs decode --keys` shows the statuses validate finds (it runs only the integrity checks)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from gbcs.cli import main
from rule_world import ACB, ECS52, get_response, read_firmware, world  # noqa: F401


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _inputs(world, tmp_path):
    good = world.from_device("response", ECS52, get_response())
    bad = bytearray(world.command(ECS52, read_firmware()))
    bad[-1] ^= 1
    path = tmp_path / "m.hex"
    path.write_text(good.hex() + "\n" + bytes(bad).hex() + "\n")
    return path


def test_no_tree_records_are_the_records_without_their_tree(world, tmp_path):
    path = _inputs(world, tmp_path)
    folder = world.keystore.sources[0]
    for fmt in ("jsonl", "json"):
        full = run("validate", "--format", fmt, "--keys", folder, "--acb", ACB.hex(), path)
        lean = run("validate", "--format", fmt, "--no-tree", "--keys", folder, "--acb", ACB.hex(), path)
        assert full.exit_code == lean.exit_code == 1
        if fmt == "jsonl":
            with_tree = [json.loads(line) for line in full.stdout.splitlines()]
            without = [json.loads(line) for line in lean.stdout.splitlines()]
        else:
            with_tree, without = json.loads(full.stdout), json.loads(lean.stdout)
        assert all(r["tree"] for r in with_tree) and not any("tree" in r for r in without)
        assert [{k: v for k, v in r.items() if k != "tree"} for r in with_tree] == without
        assert [r["status"] for r in without] == ["verified", "failed"]


def test_decode_with_keys_shows_the_statuses_validate_finds(world, tmp_path):
    path = _inputs(world, tmp_path)
    folder = world.keystore.sources[0]
    decoded = [json.loads(line) for line in
               run("decode", "--format", "jsonl", "--keys", folder, "--acb", ACB.hex(), path).stdout.splitlines()]
    validated = [json.loads(line) for line in
                 run("validate", "--format", "jsonl", "--no-tree", "--keys", folder, "--acb", ACB.hex(), path)
                 .stdout.splitlines()]
    assert [(r["signature"], r["mac"], r["decryption"]) for r in decoded] == \
           [(r["signature"], r["mac"], r["decryption"]) for r in validated] == \
           [("absent", "valid", "absent"), ("absent", "invalid", "absent")]
    assert all("findings" not in r for r in decoded)
