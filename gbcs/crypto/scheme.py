"""The GBCS protection schemes as functions of the envelope facts (GBCS 4.3.2–4.3.4).

MAC: key = KDF(ECDH(KA, KA), OtherInfo(originator, mode = CRA flag, counter, recipient));
GMAC with IV = originator ‖ invocation counter and AAD = security control ‖ 00×5 ‖ APDU.
Payload encryption: the same KDF with mode 04, the supplementary remote party in place of
the recipient and the supplementary originator counter in place of the counter when the
other-information carries them; AES-GCM with AAD = the part's security control byte.

With the security header every known message carries (11 00000000) the MAC is exactly the
recomputed scheme of the format notes; taking the control byte and counter from the header,
as DLMS does, makes any change to the header break the MAC instead of passing unnoticed.
"""
from __future__ import annotations

from gbcs.crypto import gcm, kdf
from gbcs.crypto._facts import facts
from gbcs.crypto.envelope import Facts

COMMAND, RESPONSE, ALERT = 1, 2, 3


def mac_aad(security_header: bytes, apdu: bytes) -> bytes:
    return security_header[:1] + facts().mac_aad_filler + apdu


def mac_key(shared_secret: bytes, f: Facts) -> bytes:
    return kdf.derive_key(shared_secret, kdf.other_info(f.originator, f.cra, f.counter, f.recipient))


def _invocation_counter(security_header: bytes) -> int:
    """The counter after a security header's control byte."""
    return int.from_bytes(security_header[1:facts().security_header_size], "big")


def compute_mac(key: bytes, originator: bytes, security_header: bytes, apdu: bytes) -> bytes:
    iv = gcm.iv_for(originator, _invocation_counter(security_header))
    return gcm.gmac(key, iv, mac_aad(security_header, apdu))


def mac_matches(key: bytes, f: Facts) -> bool:
    assert f.mac is not None and f.security_header is not None
    iv = gcm.iv_for(f.originator, _invocation_counter(f.security_header))
    return gcm.gmac_matches(key, iv, mac_aad(f.security_header, f.apdu), f.mac)


def mac_parties(f: Facts, acb: bytes, originator_is_device: bool) -> tuple[bytes, bytes, str]:
    """The two entities whose KA keys make the MAC key, and why.

    Commands from remote parties are MAC'd by the Access Control Broker for the device;
    commands one device sends another (PPMID to GSME) cannot pass the ACB, so the two devices'
    own keys apply; responses and alerts use originator and recipient.
    """
    if f.cra == COMMAND:
        if originator_is_device:
            return f.originator, f.recipient, "device-to-device command: originator × recipient"
        return acb, f.recipient, "command: Access Control Broker × recipient"
    kind = "response" if f.cra == RESPONSE else "alert"
    return f.originator, f.recipient, f"{kind}: originator × recipient"


def payload_parties(f: Facts) -> tuple[bytes, bytes]:
    """The entity that encrypted (the originator) and the one it encrypted for."""
    return f.originator, (f.srp_id if f.srp_id is not None else f.recipient)


def payload_key(shared_secret: bytes, f: Facts) -> bytes:
    counter = f.soc if f.soc is not None else f.counter
    target = f.srp_id if f.srp_id is not None else f.recipient
    return kdf.derive_key(shared_secret, kdf.other_info(f.originator, "payload_encryption", counter, target))


def decrypt_part(key: bytes, originator: bytes, part_bytes: bytes) -> bytes | None:
    """Security header ‖ ciphertext ‖ tag -> plaintext, or None when the tag fails."""
    header, tag = facts().security_header_size, facts().tag_length
    control, counter = part_bytes[:1], _invocation_counter(part_bytes)
    return gcm.open_(key, gcm.iv_for(originator, counter), control, part_bytes[header:-tag], part_bytes[-tag:])


def encrypt_part(key: bytes, originator: bytes, plaintext: bytes, invocation_counter: int = 0) -> bytes:
    """Security header (31, counter) ‖ ciphertext ‖ GCM tag: what a device puts in a payload."""
    control = facts().payload_security
    ciphertext, tag = gcm.seal(key, gcm.iv_for(originator, invocation_counter), control, plaintext)
    return control + invocation_counter.to_bytes(facts().security_header_size - 1, "big") + ciphertext + tag
