"""DUIS V5.4 + MMC V5.4 schema validation with lxml, the XSDs found at run time (never shipped).

The folder comes from `--schemas DIR` or GBCS_DUIS_SCHEMAS. The DUIS XSD imports the MMC schema
by its upstream name (with spaces); the import is pointed at the file actually in the folder.
A folder that lacks a file or holds a damaged one raises DuisSchemaError: validation fails
closed, it is never skipped.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from gbcs.duis.variants import duis_facts
from gbcs.errors import DuisSchemaError

ENV_VAR = "GBCS_DUIS_SCHEMAS"
_XS = "http://www.w3.org/2001/XMLSchema"
_lock = threading.Lock()
_cache: dict[tuple, "DuisSchema"] = {}


@dataclass(frozen=True)
class SchemaIssue:
    line: int | None
    path: str | None
    message: str


class DuisSchema:
    """A loaded DUIS schema set; `issues(tree)` lists what the document breaks."""

    def __init__(self, folder: Path, schema: etree.XMLSchema):
        self.folder = folder
        self._schema = schema

    def issues(self, tree: etree._ElementTree) -> list[SchemaIssue]:
        with _lock:                       # lxml schema objects are not safe across threads
            ok = self._schema.validate(tree)
            log = list(self._schema.error_log)
        if ok:
            return []
        return [SchemaIssue(e.line or None, e.path or None, _readable(e.message)) for e in log]


def _readable(message: str) -> str:
    facts = duis_facts()
    for prefix, key in (("sr", "namespace"), ("ra", "mmc_namespace"), ("ds", "dsig_namespace")):
        message = message.replace("{" + facts.constant(key) + "}", prefix + ":")
    return message


def schema_folder(folder: str | os.PathLike | None = None) -> Path | None:
    """The folder given, else GBCS_DUIS_SCHEMAS, else None (no schema validation possible)."""
    chosen = folder if folder is not None else os.environ.get(ENV_VAR) or None
    return Path(chosen) if chosen is not None else None


def load_schema(folder: str | os.PathLike) -> DuisSchema:
    """Build (once per folder and file state) the DUIS schema from the XSDs in `folder`."""
    base = Path(folder)
    facts = duis_facts()
    names = {key: facts.constant(key) for key in ("schema_file", "mmc_schema_file", "dsig_schema_file")}
    paths = {key: base / name for key, name in names.items()}
    for key, path in paths.items():
        if not path.is_file():
            raise DuisSchemaError(f"{path} is missing: the schema folder must hold {', '.join(names.values())} "
                                  f"(give --schemas DIR or set {ENV_VAR})")
    stamp = tuple((str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths.values())
    with _lock:
        cached = _cache.get(stamp)
    if cached is not None:
        return cached
    # Trusted schema files: lxml may read the signature XSD's DOCTYPE, but never over the network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        tree = etree.parse(str(paths["schema_file"]), parser)
        for imp in tree.getroot().iter(f"{{{_XS}}}import"):
            if imp.get("namespace") == facts.constant("mmc_namespace"):
                imp.set("schemaLocation", paths["mmc_schema_file"].resolve().as_uri())
            elif imp.get("namespace") == facts.constant("dsig_namespace"):
                imp.set("schemaLocation", paths["dsig_schema_file"].resolve().as_uri())
        schema = etree.XMLSchema(tree)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
        raise DuisSchemaError(f"cannot load the DUIS schema from {base}: {exc}; check the XSD files "
                              "are intact copies of DUIS V5.4 and MMC V5.4") from None
    loaded = DuisSchema(base, schema)
    with _lock:
        _cache[stamp] = loaded
    return loaded
