"""Regenerate examples/keys and examples/captures with gbcs's own encoder and test keys.

    python examples/make_examples.py

The keys are derived from fixed labels, so the keystore is the same on every run; ECDSA
signatures are randomised, so signed captures change. Nothing here comes from the DCC RTDS.
These are TEST keys: never use them for anything real.
"""
from __future__ import annotations

import base64
import hashlib
import shutil
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.builder import Envelope, gbt_blocks, general_signing, precommand
from gbcs.crypto import (Keystore, encrypt_payload_part, make_certificate, mac_wrap_with_keystore,
                         payload_encryption_key, sign_precommand, write_keystore)
from gbcs.payload import asn1, dlms, gbz

HERE = Path(__file__).resolve().parent
SUPPLIER = bytes.fromhex("AB00000000010000")   # our own made-up EUIs, not the RTDS ones
ACB = bytes.fromhex("AB00000000000002")
ESME = bytes.fromhex("AB000000000000E1")
GSME = bytes.fromhex("AB000000000000G1".replace("G", "A"))


def key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(b"gbcs example key " + label.encode()).digest(), "big")
    return ec.derive_private_key(scalar % (2**256 - 2**224 - 1) or 1, ec.SECP256R1())


def keystore_folder() -> Path:
    folder = HERE / "keys"
    shutil.rmtree(folder, ignore_errors=True)
    keys = {}
    for eui, device, role in ((SUPPLIER, False, 2), (ACB, False, 4), (ESME, True, 0), (GSME, True, 0)):
        for usage in ("ds", "ka"):
            k = key(f"{eui.hex()}-{usage}")
            keys[(eui, usage, False)] = (k, make_certificate(k, eui, usage, device=device, role=role,
                                                             issuer_key=key("issuer")))
    # Devices never give up private keys: keep only their certificates.
    write_keystore(folder, {k: v for k, v in keys.items() if k[0] in (SUPPLIER, ACB)})
    write_keystore(folder, {k: v for k, v in keys.items() if k[0] in (ESME, GSME)}, with_private=False)
    return folder


def main() -> None:
    folder = keystore_folder()
    ks = Keystore.load([str(folder)])
    out = HERE / "captures"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    stamp = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)

    # ECS52 read firmware version: non-critical DLMS command (MAC'd by the ACB) and response.
    env = Envelope("command", 0x1000, SUPPLIER, ESME, 0x0059)
    get = dlms.build_access_request([("get", 1, "0-0:0.2.1.255", 2)], invoke_id=0x1000)
    command = mac_wrap_with_keystore(general_signing(env, get, b""), ks, acb=ACB)
    renv = Envelope("response", 0x1000, ESME, SUPPLIER, 0x0059)
    reply = dlms.build_access_response([b"\x01\x23\xAB\xCD"], [("get", 0)], invoke_id=0x1000)
    response = mac_wrap_with_keystore(general_signing(renv, reply, b""), ks)
    (out / "ecs52-read-firmware-version.txt").write_text(
        "# ECS52 command (MAC'd) and the meter's response, one message per line\n"
        + command.hex(" ").upper() + "\n" + response.hex(" ").upper() + "\n")

    # ECS04a critical command (adjust the meter balance by 1,200,000): a pre-command, then signed
    # by the supplier and MAC'd.
    env = Envelope("command", 0x1001, SUPPLIER, ESME, 0x001C)
    adjust = dlms.build_access_request([("action", 112, "0-0:19.10.0.255", 1)], [("double_long", 1_200_000)],
                                       invoke_id=0x1001)
    pre = precommand(env, adjust)
    signed = sign_precommand(pre, key(f"{SUPPLIER.hex()}-ds"))
    (out / "critical-precommand.txt").write_text(pre.hex().upper() + "\n")
    (out / "critical-command.b64").write_text(
        base64.b64encode(mac_wrap_with_keystore(signed, ks, acb=ACB)).decode() + "\n")

    # A GSME response with an encrypted Prepayment component (GCS14-like).
    renv = Envelope("response", 0x1002, GSME, SUPPLIER, 0x0075)
    plain = gbz.build_read_attributes_response([(0x0005, 0, 0x2B, 2_500_000)])
    k = payload_encryption_key(key(f"{SUPPLIER.hex()}-ka"), ks.find(GSME, "ka")[0].public_key,
                               originator=GSME, counter=0x1002, recipient=SUPPLIER)
    part = encrypt_payload_part(k, GSME, plain)
    fc = gbz.build_frame_control(False, True)
    content = gbz.build_gbz([gbz.build_encrypted_component(0x0705, 0x01, part[5:-12], part[-12:],
                                                           frame_control=fc, sequence=1)])
    (out / "gsme-encrypted-response.bin").write_bytes(
        mac_wrap_with_keystore(general_signing(renv, content, b""), ks))

    # Non-critical alerts (MAC'd, unsigned): a DLMS generic alert from the ESME and a GBZ one from
    # the GSME. The MAC key pair is the supplier's KA key with the device's KA certificate.
    aenv = Envelope("alert", 0x2000, ESME, SUPPLIER, 0x1001)
    dlms_alert = mac_wrap_with_keystore(general_signing(aenv, dlms.build_alert(0x810E, stamp, invoke_id=0x2000), b""), ks)
    genv = Envelope("alert", 0x2001, GSME, SUPPLIER, 0x1001)
    gbz_alert = mac_wrap_with_keystore(general_signing(genv, gbz.build_gbz_alert(0x810E, stamp), b""), ks)
    (out / "alerts.txt").write_text(dlms_alert.hex().upper() + "\n" + gbz_alert.hex().upper() + "\n")

    # CS04B unjoin (ASN.1), sent as a DUIS-style XML response body.
    env = Envelope("command", 0x1003, SUPPLIER, ESME, 0x0010)
    unjoin = mac_wrap_with_keystore(
        general_signing(env, asn1.build_unjoin_command(bytes.fromhex("0102030405060708")), b""), ks, acb=ACB)
    (out / "duis-local-command.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">\n'
        "  <sr:ResponseMessage><sr:LocalCommand>\n"
        f"    <sr:GBCSPayload>{base64.b64encode(unjoin).decode()}</sr:GBCSPayload>\n"
        "  </sr:LocalCommand></sr:ResponseMessage>\n</sr:Response>\n")

    # A long response carried in GBT blocks, one block per line.
    renv = Envelope("response", 0x1004, ESME, SUPPLIER, 0x0059)
    long_reply = dlms.build_access_response([bytes(range(256)) * 2], [("get", 0)], invoke_id=0x1004)
    whole = mac_wrap_with_keystore(general_signing(renv, long_reply, b""), ks)
    (out / "gbt-blocks.txt").write_text("\n".join(b.hex().upper() for b in gbt_blocks(whole, renv, 200)) + "\n")
    print(f"wrote {len(list(out.iterdir()))} capture files to {out} and the keystore to {folder}")


if __name__ == "__main__":
    main()
