"""`gbcs fuzz` and `gbcs generate`: fuzz gbcs itself or another program, write test messages."""
from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import click

from gbcs.cli.group import main

ENCODINGS = ("hex", "base64", "binary")


def _need_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise click.ClickException("this command generates messages with hypothesis: "
                                   "pip install 'gbcs[testing]'") from None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value, 0)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number (write hex as 0x8F0A)") from None


def _strategy(use_case: str | None, kind: str | None, alert_code: int | None, mutate: bool):
    import gbcs.testing as gt
    try:
        if alert_code is not None:
            strategy = gt.alerts(code=alert_code)
        else:
            strategy = gt.messages(use_case=use_case, kind=kind)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return gt.mutated(strategy) if mutate else strategy


@main.command()
@click.argument("use_case", required=False)
@click.option("-n", "count", type=click.IntRange(1), default=1, show_default=True, help="How many messages.")
@click.option("--kind", type=click.Choice(["command", "response", "alert"]), help="Only this CRA kind.")
@click.option("--alert-code", help="Alerts carrying this event code (e.g. 0x8F0A) instead of a use case.")
@click.option("--mutate", is_flag=True, help="Hostile variants: bit flips, truncation, length lies, splices.")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="hex", show_default=True)
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), help="Write one file per message here.")
@click.option("--seed", type=int, default=None, help="Make the output repeatable.")
def generate(use_case, count, kind, alert_code, mutate, encoding, folder, seed):
    """Write N valid (or --mutate'd) messages of USE_CASE (any use case when left out).

    Signatures and MACs are random bytes of the right size. `gbcs.testing.use_cases()` (or the
    use-case table, specs/use_cases.gbspec) lists the ids.
    """
    _need_hypothesis()
    strategy = _strategy(use_case, kind, _int(alert_code), mutate)
    found = []
    from gbcs.testing.runner import stream
    for data in stream(strategy, seed if seed is not None else _random_seed()):
        found.append(data)
        if len(found) == count:
            break
    if folder is None:
        if encoding == "binary":
            if count != 1:
                raise click.UsageError("binary output of several messages needs -o DIR (one file each)")
            sys.stdout.buffer.write(found[0])
            return
        for data in found:
            click.echo(data.hex().upper() if encoding == "hex" else base64.b64encode(data).decode())
        return
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", use_case or (f"alert-{alert_code}" if alert_code else "message"))
    suffix = {"hex": ".hex", "base64": ".b64", "binary": ".bin"}[encoding]
    for i, data in enumerate(found, 1):
        path = out / f"{stem}-{i:04d}{suffix}"
        if encoding == "binary":
            path.write_bytes(data)
        else:
            path.write_text((data.hex().upper() if encoding == "hex" else base64.b64encode(data).decode()) + "\n")
    click.echo(f"wrote {len(found)} message(s) to {out}", err=True)


def _random_seed() -> int:
    import random
    return random.SystemRandom().randrange(2**31)


@main.command()
@click.option("--seconds", type=click.FloatRange(0.1), default=60.0, show_default=True, help="Time budget.")
@click.option("--target", type=click.Choice(["decode", "validate", "cert"]), default="decode", show_default=True,
              help="What to fuzz in-process.")
@click.option("--engine", type=click.Choice(["auto", "atheris", "mutation"]), default="auto", show_default=True,
              help="atheris (coverage-guided libFuzzer) when installed, else gbcs's mutation engine.")
@click.option("--exec", "command", help="Fuzz this program instead: one message per run on stdin, "
              "or in a file whose path replaces {} in the command.")
@click.option("--timeout", type=click.FloatRange(0.01), default=None,
              help="Seconds before a run counts as a hang [--exec: 2, in-process: 10].")
@click.option("--crash-exit", "crash_exits", type=int, multiple=True,
              help="An exit status that also counts as a crash (repeatable); signals always do.")
@click.option("--use-case", help="Generate messages of this use case only.")
@click.option("--kind", type=click.Choice(["command", "response", "alert"]), help="Only this CRA kind.")
@click.option("--alert-code", help="Generate alerts carrying this event code only.")
@click.option("--corpus", type=click.Path(file_okay=False), help="Seed/working corpus folder (kept and grown).")
@click.option("--artifacts", type=click.Path(file_okay=False), default="gbcs-fuzz-artifacts", show_default=True,
              help="Where reproducers (hex) are saved.")
@click.option("--runs", type=click.IntRange(1), help="Stop after this many executions (mutation engine).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of generation and mutation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def fuzz(seconds, target, engine, command, timeout, crash_exits, use_case, kind, alert_code, corpus, artifacts,
         runs, seed, fmt):
    """Fuzz gbcs (decode, validate, the certificate linter) or, with --exec, another program.

    Prints executions, coverage and findings; exits 1 when anything crashed, hung, broke an
    invariant or took longer than 0.25 s of CPU, with each reproducer printed as hex and saved
    under --artifacts.
    """
    _need_hypothesis()
    code = _int(alert_code)
    if command is not None:
        _fuzz_exec(command, seconds, timeout or 2.0, crash_exits, use_case, kind, code, artifacts, seed, fmt)
        return
    from gbcs.testing import runner
    if engine == "atheris" and not runner.atheris_available():
        raise click.ClickException("atheris is not installed (pip install atheris); use --engine mutation")
    use_atheris = engine == "atheris" or (engine == "auto" and runner.atheris_available())
    strategy = _strategy(use_case, kind, code, False) if (use_case or kind or code is not None) else None
    seeds = runner.seeds(corpus, strategy, seed, target)
    if use_atheris:
        try:
            report = runner.run_atheris(target, seconds, timeout or 10.0, seeds, corpus, artifacts)
        except runner.FuzzRunError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        from gbcs.testing.engine import fuzz as mutation_fuzz
        report = mutation_fuzz(target, seconds, seeds, max_executions=runs, hang_seconds=timeout or 10.0,
                               artifacts=artifacts, random_seed=seed)
    _render_report(report, fmt)
    if not report.ok:
        sys.exit(1)


def _escape(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _render_report(report, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    rate = report.executions / report.seconds if report.seconds else 0
    click.echo(f"gbcs fuzz: target {report.target}, engine {report.engine}, {report.seconds:.1f} s")
    click.echo(f"executions: {report.executions} ({rate:.0f}/s)")
    edges = report.extra.get("coverage_edges")
    click.echo(f"coverage: {f'{edges} edges, ' if edges is not None else ''}{report.features} features, "
               f"corpus {report.corpus}")
    if report.rss_warm_kb:
        click.echo(f"memory: {report.rss_warm_kb // 1024} MB after warm-up, {report.rss_end_kb // 1024} MB at the end")
    if report.engine == "mutation":
        click.echo(f"slowest input: {report.slowest:.3f} s CPU")
    if report.ok:
        click.echo("findings: none")
        return
    click.echo(f"findings: {len(report.failures)}")
    for f in report.failures:
        click.echo(f"  {f.kind}: {_escape(f.message)}")
        click.echo(f"    reproducer (hex): {f.data.hex().upper()}")
        if f.saved:
            click.echo(f"    saved: {f.saved}")


def _fuzz_exec(command, seconds, timeout, crash_exits, use_case, kind, alert_code, artifacts, seed, fmt):
    from gbcs.testing.external import fuzz_command
    from gbcs.testing.runner import stream
    strategy = _strategy(use_case, kind, alert_code, False)
    try:
        report = fuzz_command(command, seconds, stream(strategy, seed), timeout=timeout,
                              crash_exits=tuple(crash_exits), artifacts=artifacts, random_seed=seed)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot run {command!r}: {exc}") from None
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        rate = report.executions / report.seconds if report.seconds else 0
        click.echo(f"gbcs fuzz --exec: {_escape(command)}, {report.seconds:.1f} s")
        click.echo(f"executions: {report.executions} ({rate:.1f}/s), {report.valid_inputs} valid messages, "
                   f"the rest mutated")
        if report.ok:
            click.echo("findings: none")
        for c in report.crashes:
            click.echo(f"{c.outcome.kind}: {c.outcome.detail}")
            click.echo(f"  reproducer (hex, minimised from {len(c.original)} to {len(c.data)} bytes): "
                       f"{c.data.hex().upper()}")
            click.echo(f"  saved: {c.saved}")
    if not report.ok:
        sys.exit(1)
