"""Schema loading fails closed; schema breaches are GBCS-U002 and stop signature work."""
from __future__ import annotations

import pytest

from duis_world import SR, orgs, request  # noqa: F401 (fixture)
from gbcs.duis.schema import load_schema
from gbcs.duis.signature import sign
from gbcs.duis.validate import validate_document
from gbcs.errors import DuisSchemaError

XS = "http://www.w3.org/2001/XMLSchema"
# A stand-in schema set with the DUIS file names: Request needs schemaVersion and a Header.
MINI = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{SR}" elementFormDefault="qualified">
  <xs:element name="Request"><xs:complexType><xs:sequence>
    <xs:element name="Header"><xs:complexType><xs:sequence>
      <xs:any processContents="skip" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
    <xs:any processContents="skip" maxOccurs="unbounded" namespace="##any"/>
  </xs:sequence><xs:attribute name="schemaVersion" type="xs:decimal" use="required"/></xs:complexType></xs:element>
</xs:schema>"""
EMPTY = f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:x"/>'


def schema_folder(tmp_path, duis: str = MINI):
    (tmp_path / "DUIS_Schema_V5.4.xsd").write_text(duis)
    (tmp_path / "MMC_Schema_V5.4.xsd").write_text(EMPTY)
    (tmp_path / "xmldsig-core-schema.xsd").write_text(EMPTY)
    return tmp_path


def test_missing_or_damaged_schema_fails_closed(tmp_path):
    with pytest.raises(DuisSchemaError, match="missing"):
        load_schema(tmp_path)
    with pytest.raises(DuisSchemaError, match="cannot load"):
        load_schema(schema_folder(tmp_path, MINI[:-20]))


def test_schema_breach_is_u002_and_skips_the_signature(tmp_path, orgs):
    schema = load_schema(schema_folder(tmp_path))
    good = validate_document(request(), schema=schema)
    assert good.schema == "valid" and "GBCS-U002" not in [f.rule for f in good.findings]
    verified = validate_document(sign(request(), orgs.keystore(), "AB-00-00-00-00-01-00-00"), schema=schema,
                                 keystore=orgs.keystore())
    assert verified.status() == "verified" and verified.findings == []
    assert validate_document(request(), schema=schema).status() == "failed"        # unsigned request
    signed = sign(request(), orgs.keystore(), "AB-00-00-00-00-01-00-00")
    broken = signed.replace(b' schemaVersion="5.4"', b"")
    result = validate_document(broken, schema=schema, keystore=orgs.keystore())
    assert result.schema == "invalid" and result.signature == "unchecked"
    assert [f.rule for f in result.findings] == ["GBCS-U002"]
    assert "schemaVersion" in result.findings[0].message


def test_real_schema_rejects_a_removed_required_element_and_a_doubled_colon(duis_schemas):
    schema = load_schema(duis_schemas)
    assert schema.issues(validate_document(request()).document.tree) == []
    no_variant = request().replace(b"<sr:ServiceReferenceVariant>6.7</sr:ServiceReferenceVariant>", b"")
    result = validate_document(no_variant, schema=schema)
    assert "GBCS-U002" in [f.rule for f in result.findings]
    doubled = validate_document(request(counter="1::2"), schema=schema)
    assert "GBCS-U002" in [f.rule for f in doubled.findings]


def test_schema_location_hints_in_the_instance_are_ignored(tmp_path):
    schema = load_schema(schema_folder(tmp_path))
    hinted = request().replace(b'schemaVersion="5.4"', b'schemaVersion="5.4" xsi:schemaLocation='
                               b'"http://www.dccinterface.co.uk/ServiceUserGateway http://example.invalid/evil.xsd"')
    assert validate_document(hinted, schema=schema).schema == "valid"
