"""The CLI ends every failure with one line and a documented exit status (issue 7 items 5, 7).

Closed standard streams and /dev/full need a real process: those tests use subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gbcs.builder import Envelope, general_signing, mac_wrap
from gbcs.cli import main
from gbcs.cli.group import EXIT_FAILURE, EXIT_USAGE

ENV = Envelope(cra="command", counter=1000, originator="90B3D51F30010000", recipient="00DB1234567890A0",
               message_code=0x0059)
COMMAND = mac_wrap(general_signing(ENV, bytes.fromhex("D9200003E800010100010000000201FF020100"), b""), bytes(12))


def gbcs(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=None, pass_fds=()):
    """Run the CLI in its own process; file descriptors set up as given (None: closed)."""
    argv = [sys.executable, "-m", "gbcs", *map(str, args)]
    closed = [fd for fd, how in ((0, stdin), (1, stdout)) if how is None]
    if closed:   # start the child with these descriptors closed, as the shell's <&- and >&- do
        script = "import os, sys\nfor fd in %r: os.close(fd)\nos.execv(sys.executable, %r)" % (closed, argv)
        argv = [sys.executable, "-c", script]
    return subprocess.run(argv, stdin=subprocess.DEVNULL if stdin is None else stdin,
                          stdout=subprocess.PIPE if stdout is None else stdout,
                          stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, timeout=60)


@pytest.fixture
def message_file(tmp_path):
    path = tmp_path / "command.hex"
    path.write_text(COMMAND.hex().upper() + "\n")
    return path


def _one_line(stderr: bytes) -> str:
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, stderr.decode()
    assert "Traceback" not in lines[0]
    return lines[0]


def test_closed_stdin_is_not_read_when_a_file_is_given(message_file):
    result = gbcs("decode", "--format", "jsonl", message_file, stdin=None)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["ok"] is True


def test_closed_stdin_given_as_dash_is_a_failed_input(message_file):
    result = gbcs("decode", "--format", "jsonl", "-", message_file, stdin=None)
    assert result.returncode == EXIT_FAILURE
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["source"] == "<stdin>" and "standard input is closed" in first["error"]["message"]
    assert second["ok"] is True
    assert result.stderr == b""


def test_closed_stdout_is_one_line_and_exit_1(message_file):
    result = gbcs("decode", message_file, stdout=None)
    assert result.returncode == EXIT_FAILURE
    assert _one_line(result.stderr) == "gbcs: error: cannot write the output: standard output is closed"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_full_disk_is_one_line_and_exit_1(message_file, fmt):
    with open("/dev/full", "w") as full:
        result = gbcs("validate", "--format", fmt, message_file, stdout=full)
    assert result.returncode == EXIT_FAILURE
    assert _one_line(result.stderr) == "gbcs: error: cannot write the output: No space left on device"


def test_unexpected_exception_is_one_line_unless_debug_is_asked(monkeypatch, message_file):
    import gbcs.cli.messages as messages

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr(messages, "decode_inputs", broken)
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
        else CliRunner()
    result = runner.invoke(main, ["decode", str(message_file)], catch_exceptions=False)
    assert result.exit_code == EXIT_FAILURE
    assert result.stderr.strip() == ("gbcs: error: internal error ZeroDivisionError: a bug — please report it "
                                     "with the command and input (set GBCS_DEBUG=1 to see the traceback)")
    monkeypatch.setenv("GBCS_DEBUG", "1")
    result = runner.invoke(main, ["decode", str(message_file)], catch_exceptions=False)
    assert result.exit_code == EXIT_FAILURE
    assert "Traceback" in result.stderr and 'raise ZeroDivisionError("a bug")' in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("gbcs: error: internal error ZeroDivisionError")


def test_keystore_json_nested_100000_deep_is_a_usage_error_naming_the_file(tmp_path, message_file):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = CliRunner().invoke(main, ["validate", "--keys", str(deep), str(message_file)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "deep.json: JSON nested too deeply" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["decode", "validate"])
def test_bad_private_key_stops_before_any_record_with_exit_2(tmp_path, message_file, command):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "90b3d51f30010000-ds.key").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    result = CliRunner().invoke(main, [command, "--format", "json", "--keys", str(keys), str(message_file)])
    assert result.exit_code == EXIT_USAGE
    assert "90b3d51f30010000-ds.key: not a readable PEM private key" in result.output
    assert not result.output.lstrip().startswith("[")          # no half-written JSON


def test_one_line_error_escapes_control_characters(monkeypatch, message_file):
    import gbcs.cli.messages as messages

    def broken(*_args, **_kwargs):
        raise ValueError("\x1b[2Jforged\r\nFAKE: ok")
    monkeypatch.setattr(messages, "decode_inputs", broken)
    result = CliRunner().invoke(main, ["decode", str(message_file)], catch_exceptions=False)
    assert result.exit_code == EXIT_FAILURE
    line = result.stderr if hasattr(result, "stderr") else result.output
    assert "\x1b" not in line and "\r" not in line and line.count("\n") == 1
    assert "\\x1b[2Jforged\\x0d FAKE: ok" in line
