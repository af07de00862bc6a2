"""The issuer pool `gbcs validate` gives the certificates a message carries: the keystore's
certificates are indexed once per keystore and parsed only when a look-up may find them, yet
every look-up answers as one IssuerPool of all of them would; keystores do not mix."""
from __future__ import annotations

import sys

from gbcs import validate
from gbcs.builder import Envelope, general_signing
from gbcs.crypto import Keystore
from gbcs.payload.asn1 import build_join_command
from gbcs.smki import parse_der
from gbcs.smki.build import dca_name, template
from gbcs.smki.chain import IssuerPool
from gbcs.validate.engine import checks
from smki_world import DCA, DCA_KEY, DEV_EUI, OCA, ORG_EUI, OTHER_KEY, ROOT, ROOT_KEY, der, dev, org, signer_of

CA_EUI = bytes.fromhex("AB00000000000C00")


def _certificate_module():
    checks()
    return sys.modules["gbcs.validate.certificate"]


def _keystore(*certificates) -> Keystore:
    ks = Keystore()
    for i, cert in enumerate(certificates):
        ks.add_certificate(cert, eui=CA_EUI[:-1] + bytes([i]), usage="ds", origin="keystore", source=f"ca{i}")
    return ks


def _impostor_dca():
    """The DCA's name with another key: found by name only, and its signature check fails."""
    t = template("issuing-ca", OTHER_KEY.public_key(), issuer=ROOT, cn="E357")
    t.subject = dca_name("E357")
    return t.build(ROOT_KEY)


IMPOSTOR = _impostor_dca()


def _join(certificate: bytes) -> bytes:
    env = Envelope("command", 1004, ORG_EUI, DEV_EUI, 0x00AF)
    return general_signing(env, build_join_command("method_c", DEV_EUI, "esme", certificate), b"")


def test_lookups_answer_as_one_pool_of_every_certificate():
    vc = _certificate_module()
    no_aki = dev("ka").drop("authority_key_identifier")
    subjects = [parse_der(d) for d in (der(dev("ka").build(DCA_KEY)), der(org("ds").build(signer_of(org("ds")))),
                                       der(no_aki.build(DCA_KEY)), der(OCA))]
    for keystore_certs in ([ROOT, OCA, DCA], [IMPOSTOR, ROOT], [IMPOSTOR, DCA], []):
        ks = _keystore(*keystore_certs)
        everything = IssuerPool([parse_der(der(c)) for c in keystore_certs] + subjects[:1])
        pool = vc._issuer_pool(ks, subjects[:1])
        for s in subjects:
            mine, reference = pool.find(s), everything.find(s)
            assert (mine[0].der if mine[0] else None, mine[1]) == \
                   (reference[0].der if reference[0] else None, reference[1])


def test_found_by_name_only_when_no_key_identifier_matches():
    vc = _certificate_module()
    subject = parse_der(der(dev("ka").build(DCA_KEY)))
    issuer, how = vc._issuer_pool(_keystore(ROOT, IMPOSTOR), []).find(subject)
    assert how == "name" and issuer.der == der(IMPOSTOR)
    issuer, how = vc._issuer_pool(_keystore(IMPOSTOR, DCA), []).find(subject)
    assert how == "key identifier" and issuer.der == der(DCA)


def test_keystores_do_not_mix_and_a_grown_keystore_is_seen():
    data = _join(der(dev("ka").build(DCA_KEY)))
    with_dca, without = _keystore(ROOT, DCA), _keystore(ROOT)

    def rules(ks):
        return {f.rule for f in validate(data, ks, select=["certificate"]).findings}
    assert "GBCS-X105" not in rules(with_dca)       # the DCA is there: the chain is checked
    assert "GBCS-X105" in rules(without)
    assert "GBCS-X105" not in rules(with_dca)
    impostor = _keystore(ROOT, IMPOSTOR)
    assert "GBCS-X103" in rules(impostor)           # the name matches, the signature does not
    without.add_certificate(DCA, eui=CA_EUI, usage="ds", origin="keystore")
    assert "GBCS-X105" not in rules(without)


def test_results_match_a_fresh_keystore_each_time():
    messages = [_join(der(dev("ka").build(DCA_KEY))), _join(der(dev("ka").build(OTHER_KEY)))]
    shared = _keystore(ROOT, OCA, DCA)
    warm = [[f.to_dict() for f in validate(m, shared).findings] for m in messages * 2]
    cold = [[f.to_dict() for f in validate(m, _keystore(ROOT, OCA, DCA)).findings] for m in messages * 2]
    assert warm == cold and warm[0] != warm[1]


def test_every_rtds_keystore_certificate_is_indexed_where_smki_looks(rtds):
    rtds_dir = rtds[0][0].parents[2]
    from gbcs.smki.chain import subject_key_id
    vc = _certificate_module()
    issuers = vc._KeystoreIssuers(Keystore.load([rtds_dir / "keystore"]))
    assert len(issuers.entries) > 100 and not issuers._unsure_ski and not issuers._unsure_name
    for i in range(len(issuers.entries)):
        cert = issuers._parse(i)
        assert cert in issuers.by_name(IssuerPool([cert]).by_name.popitem()[0])
        if subject_key_id(cert) is not None:
            assert cert in issuers.by_key(subject_key_id(cert))


def test_a_certificate_met_again_is_placed_where_it_is_carried_this_time():
    vc = _certificate_module()
    bad = dev("ka").drop("key_usage").build(DCA_KEY)           # breaks a rule: findings to place
    in_join = _join(der(bad))
    env = Envelope("command", 1300, ORG_EUI, DEV_EUI, 0x0059, srp_id=ORG_EUI, srp_counter=1, certificate=der(bad))
    in_header = general_signing(env, bytes.fromhex("D9200003E800010100010000000201FF020100"), b"")
    ks = _keystore(ROOT, DCA)

    def findings(data):
        return [f.to_dict() for f in validate(data, ks, select=["certificate"]).findings]
    warm = [findings(d) for d in (in_join, in_header, in_join)]
    cold = []
    for d in (in_join, in_header, in_join):
        vc._LINTED.clear()
        vc._PARSED.clear()
        cold.append(findings(d))
    assert warm == cold
    assert warm[0] and warm[1]
    assert {f["field"].split(".")[1] for f in warm[0]} == {"payload"}
    assert {f["field"].split(".")[1] for f in warm[1]} == {"grouping_header"}
    assert warm[0][0]["offset"] != warm[1][0]["offset"]
