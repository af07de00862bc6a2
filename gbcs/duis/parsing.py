"""Hardened parsing of DUIS XML: no DTD, no entities, no network, no XInclude, capped size and depth.

Every refusal is a DuisXmlRefused naming its reason, raised before any schema or signature work.
"""
from __future__ import annotations

import re

from lxml import etree

from gbcs.errors import DuisXmlRefused

# Firmware images (11.1, 11.4) are the legitimately large DUIS documents.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
# DUIS documents nest about a dozen levels; anything far deeper is an attack or a mistake.
MAX_DEPTH = 64
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, collect_ids=False)


def parse_xml(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_DEPTH,
              source: str = "input") -> etree._ElementTree:
    """Parse DUIS XML bytes, or raise DuisXmlRefused saying why and what to do."""
    if not data.strip():
        raise DuisXmlRefused(f"{source}: the file is empty; give a DUIS XML document", "empty")
    if len(data) > max_bytes:
        raise DuisXmlRefused(f"{source}: {len(data)} bytes is over the {max_bytes}-byte limit for a DUIS "
                             "document; split it or raise the limit", "size")
    if _DOCTYPE.search(data):
        raise DuisXmlRefused(f"{source}: a DOCTYPE or ENTITY declaration is refused (DUIS documents have "
                             "none; they are how XXE and entity-expansion attacks work)", "doctype")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "depth" in text.lower():
            raise DuisXmlRefused(f"{source}: nesting deeper than the parser allows ({text})", "depth") from None
        if "entity" in text.lower():
            raise DuisXmlRefused(f"{source}: an entity reference is refused ({text})", "entity") from None
        raise DuisXmlRefused(f"{source}: not well-formed XML ({text}); fix the document", "malformed") from None
    except ValueError as exc:        # e.g. an encoding declaration lxml cannot honour
        raise DuisXmlRefused(f"{source}: not readable XML ({exc})", "malformed") from None
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DuisXmlRefused(f"{source}: a DOCTYPE is refused (DUIS documents have none)", "doctype")
    _check_tree(tree.getroot(), max_depth, source)
    return tree


def _check_tree(root: etree._Element, max_depth: int, source: str) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > max_depth:
            raise DuisXmlRefused(f"{source}: elements nest {depth} deep, over the limit of {max_depth}", "depth")
        if isinstance(element, etree._Entity):
            raise DuisXmlRefused(f"{source}: an entity reference is refused", "entity")
        tag = element.tag
        if isinstance(tag, str) and tag.startswith("{"):
            ns = tag[1:].partition("}")[0]
            if ns in XINCLUDE_NAMESPACES:
                raise DuisXmlRefused(f"{source}: XInclude is refused (line {element.sourceline})", "xinclude")
        stack.extend((child, depth + 1) for child in element)


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
