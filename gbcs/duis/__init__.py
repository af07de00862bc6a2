"""DUIS (DCC User Interface Specification) service requests, responses and alerts.

parsing      hardened XML parsing (no DTD, entities, XInclude or network; size and depth caps)
schema       DUIS V5.4 + MMC V5.4 XSD validation, the XSDs found at run time
document     header, body and GBCS payloads of a parsed document
checks       the structural rules the XSD cannot express
signature    XMLDSig verify and sign as DUIS uses them
crosscheck   a request against the GBCS messages that belong to it
validate     all of the above for files and folders, as records
variants     the service reference variants of specs/duis.gbspec
"""
from gbcs.duis.crosscheck import GbcsItem, cross_check
from gbcs.duis.document import DuisDocument, read_document
from gbcs.duis.parsing import parse_xml
from gbcs.duis.schema import load_schema
from gbcs.duis.signature import sign, verify
from gbcs.duis.validate import DuisResult, validate_document, validate_many
from gbcs.duis.variants import duis_facts, variant

__all__ = ["DuisDocument", "DuisResult", "GbcsItem", "cross_check", "duis_facts", "load_schema", "parse_xml",
           "read_document", "sign", "validate_document", "validate_many", "variant", "verify"]
