"""Turn user inputs (files, directories, stdin) into raw message bytes.

Each file's format is detected from its bytes: DUIS XML (base64 in ``GBCSPayload`` and
``DeviceGBCSResponse`` elements), pcap/pcapng captures (gbcs/io/captures.py; files named
*.pcap, *.pcapng or *.cap are streamed whatever their size), hex dumps (gbcs/io/dumps.py: xxd,
hexdump -C, od, Wireshark), raw binary, or text holding hex or base64, one message per line or
wrapped over several lines. Nothing here decodes GBCS, and nothing raises on bad input: every
problem becomes an InputMessage whose ``error`` says what went wrong.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gbcs.errors import InputError

DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024
PAYLOAD_ELEMENTS = ("GBCSPayload", "DeviceGBCSResponse")
SNIPPET = 20                                     # characters of a bad line quoted in its error

def message_start_bytes() -> frozenset[int]:
    """First bytes of GBCS messages (the APDU tags of specs/envelope.gbspec): a new message in a dump."""
    from gbcs.spec import specs
    return specs().derived(_message_start)


def _message_start(s) -> frozenset[int]:
    return frozenset(r.cells["value"] for r in s.enum("apdu_tag").rows)


_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*<")
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\f\v"
_HEX_PREFIX = re.compile(r"(?:^|(?<=[ \t:]))0[xX]")
_HEX_SEPARATORS = re.compile(r"[ \t:]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


@dataclass(frozen=True, slots=True, init=False)
class InputMessage:
    """One message found in an input, or why a chunk of it could not be read."""
    source: str              # path as given (+ walked relative path); "<stdin>"; ":N" when a file holds
                             # several; "#N" (frame) in a capture
    data: bytes | None       # the message bytes, None when the chunk could not be read
    encoding: str            # "hex" | "base64" | "binary" | "xml" | "hex-dump" | "capture"
    error: InputError | None = None
    line: int | None = None  # 1-based first line of the chunk in a text file
    timestamp: float | None = None   # capture time (seconds since the epoch), for captures
    frame: int | None = None         # 1-based frame number, for captures

    # Written out rather than generated (init=False), as gbcs.message.Message's: the generated
    # one is interpreted bytecode even in the compiled twin, and every message makes one.
    def __init__(self, source: str, data: bytes | None, encoding: str, error: InputError | None = None,
                 line: int | None = None, timestamp: float | None = None, frame: int | None = None):
        setattr_ = object.__setattr__           # frozen
        setattr_(self, "source", source)
        setattr_(self, "data", data)
        setattr_(self, "encoding", encoding)
        setattr_(self, "error", error)
        setattr_(self, "line", line)
        setattr_(self, "timestamp", timestamp)
        setattr_(self, "frame", frame)


# (data, encoding, error message, line) before the final source is known
_Chunk = tuple[bytes | None, str, str | None, int | None]


def iter_inputs(inputs: Iterable[str], stdin: BinaryIO | None = None,
                max_file_size: int = DEFAULT_MAX_FILE_SIZE, capture=None) -> Iterator[InputMessage]:
    """Yield the messages of each INPUT in turn: a file, a directory (walked) or "-" for stdin.

    pcap/pcapng captures are streamed frame by frame whatever their size; `capture`
    (gbcs.io.captures.CaptureOptions) names the UDP/TCP ports that carry GBCS."""
    for item in inputs:
        if item == "-":
            stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
            if stream is None:   # started with standard input closed (<&-)
                yield InputMessage("<stdin>", None, "binary",
                                   InputError("standard input is closed; give a file instead of -", "<stdin>"))
                continue
            yield from _messages("<stdin>", _read_capped(stream, "<stdin>", max_file_size), capture)
        elif os.path.isdir(item):
            yield from _walk(item, max_file_size, capture)
        elif _capture_file(item):
            yield from _capture_path(item, capture)
        else:
            yield from _messages(item, _load(item, max_file_size, walked=False), capture)


# pcap (both byte orders, micro- and nanosecond) and pcapng magic numbers. Here, not in
# gbcs.io.captures, so that telling a capture from text does not import dpkt (~50 ms).
PCAP_MAGICS = frozenset({b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"})
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


def is_capture(head: bytes) -> bool:
    return head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC


_is_capture = is_capture


CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".ntar")


def _capture_file(path: str) -> bool:
    """Named as a capture: streamed, so no size limit. Other captures are found by their magic."""
    return path.lower().endswith(CAPTURE_SUFFIXES) and os.path.isfile(path)


def _capture_path(path: str, options) -> Iterator[InputMessage]:
    try:
        f = open(path, "rb")
    except OSError as e:
        yield InputMessage(path, None, "capture", InputError(f"cannot read {path}: {e.strerror or e}", source=path))
        return
    with f:
        yield from _capture(path, f, options)


def _capture(source: str, stream: BinaryIO, options) -> Iterator[InputMessage]:
    from gbcs.io.captures import CaptureOptions, read_capture
    count = 0
    for found in read_capture(stream, options or CaptureOptions()):
        where = f"{source}#{found.frame}"
        count += 1
        if found.error is not None:
            yield InputMessage(where, None, "capture", InputError(f"{found.where}: {found.error}", source=where),
                               timestamp=found.timestamp or None, frame=found.frame or None)
            continue
        yield InputMessage(where, found.data, "capture", timestamp=found.timestamp, frame=found.frame)
    if count == 0:
        yield InputMessage(source, None, "capture", InputError(
            f"no GBCS message found in the capture {source} — raw GBCS is read from DLT_USER frames and "
            "ZigBee tunnels; for UDP or TCP name the ports (--udp-port / --tcp-port)", source=source))


def read_bytes(blob: bytes, source: str) -> list[InputMessage]:
    """Split the contents of one file into messages, detecting XML, binary or hex/base64 text."""
    text = _from_utf16(blob)
    if _XML_START.match(text):
        chunks = _from_xml(blob)          # expat reads UTF-16 itself, so give it the original bytes
    elif not _looks_like_text(text):
        return [InputMessage(source, blob, "binary")]
    else:
        from gbcs.io.dumps import from_dump, looks_like_dump
        lines = text.decode("utf-8", "replace").removeprefix("\ufeff").split("\n")
        chunks = from_dump("\n".join(lines)) if looks_like_dump(lines) else _from_text(text)
    if len(chunks) == 1:
        return [_message(source, *chunks[0])]
    return [_message(f"{source}:{i}", *chunk) for i, chunk in enumerate(chunks, 1)]


def _message(source: str, data: bytes | None, encoding: str, error: str | None,
             line: int | None) -> InputMessage:
    err = InputError(error, source=source) if error is not None else None
    return InputMessage(source, None if err is not None else data, encoding, err, line)


def _messages(source: str, loaded: bytes | InputError, capture=None) -> list[InputMessage]:
    if isinstance(loaded, InputError):
        return [InputMessage(source, None, "binary", loaded)]
    if _is_capture(loaded):
        import io
        return list(_capture(source, io.BytesIO(loaded), capture))
    return read_bytes(loaded, source)


# --- reading files -------------------------------------------------------------------------

def _walk(root: str, max_size: int, capture=None) -> Iterator[InputMessage]:
    entries: list[tuple[tuple[str, ...], OSError | None]] = []
    problems: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=problems.append):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = os.path.relpath(dirpath, root)
        base = () if rel == "." else tuple(rel.split(os.sep))
        entries += [(base + (name,), None) for name in filenames if not name.startswith(".")]
    for problem in problems:   # an unreadable subdirectory sorts where its files would have been
        rel = os.path.relpath(problem.filename or root, root)
        entries.append(((() if rel == "." else tuple(rel.split(os.sep))), problem))
    if not entries:
        yield InputMessage(root, None, "binary", InputError(f"no files found in directory {root}", source=root))
    for parts, problem in sorted(entries, key=lambda e: e[0]):
        path = os.path.join(root, *parts)
        if problem is not None:
            err = InputError(f"cannot read directory {path}: {problem.strerror or problem}", source=path)
            yield InputMessage(path, None, "binary", err)
        elif _capture_file(path):
            yield from _capture_path(path, capture)
        else:
            yield from _messages(path, _load(path, max_size, walked=True), capture)


def _load(path: str, max_size: int, walked: bool) -> bytes | InputError:
    try:
        info = os.stat(path)
        # a FIFO or device met while walking could block or never end; named explicitly, we read it
        if walked and not stat.S_ISREG(info.st_mode):
            return InputError(f"not a regular file: {path}", source=path)
        if stat.S_ISREG(info.st_mode) and info.st_size > max_size:
            return _too_big(path, max_size)
        with open(path, "rb") as f:
            return _read_capped(f, path, max_size)
    except FileNotFoundError:
        return InputError(f"no such file or directory: {path} — check the path", source=path)
    except (OSError, ValueError) as e:   # ValueError: e.g. a NUL byte in the path
        return InputError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}", source=path)


def _read_capped(stream: BinaryIO, source: str, max_size: int) -> bytes | InputError:
    try:
        data = stream.read(max_size + 1)   # one byte more than allowed tells us it is too big
    except (OSError, ValueError) as e:
        return InputError(f"cannot read {source}: {getattr(e, 'strerror', None) or e}", source=source)
    return _too_big(source, max_size) if len(data) > max_size else data


def _too_big(source: str, max_size: int) -> InputError:
    return InputError(f"{source} is larger than the {max_size}-byte input limit (max_file_size); not read",
                      source=source)


# --- formats -------------------------------------------------------------------------------

def _from_utf16(blob: bytes) -> bytes:
    """UTF-16 text (as Windows PowerShell redirection writes) as UTF-8; anything else unchanged."""
    if blob[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return blob.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    return blob


def _looks_like_text(blob: bytes) -> bool:
    blob = blob.removeprefix(b"\xef\xbb\xbf")
    other = len(blob.translate(None, _TEXT_BYTES))   # bytes that are not printable ASCII/whitespace
    return other * 20 <= len(blob)                   # allow 5%, e.g. non-ASCII in comments


def _from_xml(blob: bytes) -> list[_Chunk]:
    try:
        root = fromstring(blob)
    except DefusedXmlException as e:
        return [(None, "xml", f"XML refused for safety (entity, DTD or external reference): {e}", None)]
    except (ParseError, ValueError, LookupError) as e:
        return [(None, "xml", f"XML is not well-formed: {e}", None)]
    chunks: list[_Chunk] = []
    for element in root.iter():
        name = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
        if name not in PAYLOAD_ELEMENTS:
            continue
        text = "".join("".join(element.itertext()).split())   # DCC output wraps base64 and has &#13;
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            chunks.append((None, "xml", f"{name} element is not valid base64: {_snippet(text)}", None))
            continue
        chunks.append((data, "xml", None if data else f"{name} element is empty", None))
    if not chunks:
        return [(None, "xml", "no GBCS payload element (GBCSPayload or DeviceGBCSResponse) found in the XML",
                 None)]
    return chunks


def _from_text(blob: bytes) -> list[_Chunk]:
    """One message per line, or messages wrapped over lines: a line not starting a message continues."""
    groups: list[list] = []   # [encoding, first line, [bytes per line], first error]
    can_continue = False      # may the next line continue groups[-1]?
    message_start = message_start_bytes()
    lines = blob.decode("utf-8", "replace").removeprefix("\ufeff").split("\n")
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            can_continue = False   # a blank line ends a wrapped message
            continue
        if line.startswith("#"):
            continue
        encoding, data, error = _decode_line(line, number)
        starts = data[:1] != b"" and data[0] in message_start
        if can_continue and not starts and groups[-1][0] == encoding:
            groups[-1][2].append(data)
            groups[-1][3] = groups[-1][3] or error
        else:
            groups.append([encoding, number, [data], error])
        # base64 padding ends a message; a line neither hex nor base64 stands alone
        can_continue = encoding == "hex" or (encoding == "base64" and not line.endswith("="))
    if not groups:
        return [(None, "hex", "no message found: the text holds only blank and comment lines", None)]
    # a line that is neither hex nor base64 is reported as "hex", the usual text format
    return [(b"".join(parts), "hex" if encoding == "?" else encoding, error, first)
            for encoding, first, parts, error in groups]


def _decode_line(line: str, number: int) -> tuple[str, bytes, str | None]:
    """(encoding, bytes, error) of one non-blank line; "?" when neither. Odd hex keeps its leading
    whole bytes, so its first byte still decides whether it starts a message."""
    if not len(line) % 2:           # plain hex: no prefix or separator to strip
        try:
            data = bytes.fromhex(line)
        except ValueError:
            data = None
        # fromhex also skips whitespace: all digits only when every two characters made a byte
        if data is not None and len(data) * 2 == len(line):
            return "hex", data, None
    digits = _HEX_SEPARATORS.sub("", _HEX_PREFIX.sub("", line))
    if _HEX.fullmatch(digits):
        if len(digits) % 2:
            return "hex", bytes.fromhex(digits[:-1]), \
                f"line {number} has an odd number of hex digits ({len(digits)}): {_snippet(line)}"
        return "hex", bytes.fromhex(digits), None
    try:
        data = base64.b64decode("".join(line.split()), validate=True)
        if data:
            return "base64", data, None
    except (binascii.Error, ValueError):
        pass
    return "?", b"", (f"line {number} is neither hex nor base64: {_snippet(line)} — expected hex digits "
                      "(spaces, tabs, colons and 0x allowed) or base64")


def _snippet(text: str) -> str:
    return repr(text[:SNIPPET] + ("…" if len(text) > SNIPPET else ""))
