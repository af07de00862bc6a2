"""The root `gbcs` click group. Command modules (one per command family) attach to it.

The group's main() is the one top-level guard: whatever goes wrong ends with one line on
standard error and a documented exit status (EXIT_FAILURE), never a traceback — unless
GBCS_DEBUG=1 asks for it.
"""
from __future__ import annotations

import errno
import io
import os
import re
import sys

import click

from gbcs import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEBUG_ENV = "GBCS_DEBUG"


class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the process was started without (`<&-`, `>&-`):
    using it raises an OSError that says which stream is closed, instead of crashing on None."""

    def __init__(self, which: str) -> None:
        super().__init__()
        self.which = which

    @property
    def buffer(self) -> "ClosedStream":     # code reading or writing bytes meets the same error
        return self

    def _closed(self, *_args, **_kwargs):
        raise OSError(errno.EBADF, f"standard {self.which} is closed")

    read = readline = readlines = write = writelines = _closed

    def readable(self) -> bool:
        return self.which == "input"

    def writable(self) -> bool:
        return self.which != "input"


def _replace_closed_streams() -> None:
    for name, which in (("stdin", "input"), ("stdout", "output"), ("stderr", "error")):
        if getattr(sys, name) is None:
            setattr(sys, name, ClosedStream(which))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")   # all but tab and newline


def _say(text: str) -> None:
    """Write to standard error, control characters escaped (messages may quote inputs)."""
    try:
        sys.stderr.write(_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass                                 # nowhere left to say it: the exit status still tells


def _silence_stdout() -> None:
    """After a failed write, point standard output at /dev/null so the final flush at exit
    cannot fail a second time (and print its own traceback)."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"{exc.filename}: {what}"
    return f"cannot write the output: {what}"   # input problems are records; this is the output


class GbcsGroup(click.Group):
    """The root group; its main() is the top-level guard described above."""

    def main(self, *args, **kwargs):
        _replace_closed_streams()
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                sys.stdout.flush()           # surface a failed write (ENOSPC) here, not at exit
        except (SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:
            _silence_stdout()
            if exc.errno == errno.EPIPE:     # the reader went away (| head): quiet, as click does
                sys.exit(EXIT_FAILURE)
            self._fail(_os_error_text(exc), exc)
        except RecursionError as exc:
            self._fail("input nested too deep to process (recursion limit reached) — please report which "
                       "input it was", exc)
        except Exception as exc:              # noqa: BLE001 - a bug still ends in one line and a status
            self._fail(f"internal error {type(exc).__name__}: {exc} — please report it with the command "
                       f"and input (set {DEBUG_ENV}=1 to see the traceback)", exc)

    @staticmethod
    def _fail(message: str, exc: BaseException):
        if os.environ.get(DEBUG_ENV) == "1":
            import traceback
            _say("".join(traceback.format_exception(exc)).rstrip())
        _say(f"gbcs: error: {message}".replace("\n", " "))
        sys.exit(EXIT_FAILURE)


def _version_text() -> str:
    from gbcs.wire.backend import BACKEND
    return f"gbcs {__version__} (backend: {BACKEND})"


@click.group(cls=GbcsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", message=_version_text())
def main() -> None:
    """Decode and validate GB smart-metering GBCS messages."""
