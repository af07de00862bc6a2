"""UTRN: the 20-digit prepayment top-up code a supplier issues for one meter (GBCS 14.8).

The low 32 bits of its PTUT are the last 4 bytes of a GMAC keyed by ECDH(the supplier's
prepayment KA key, the device's KA key) with the MAC KDF in command mode; only the holder of
the supplier's prepayment key can make one that the meter accepts.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gbcs.crypto import kdf
from gbcs.crypto._facts import facts
from gbcs.crypto.keystore import KeyEntry, Keystore, normalise_eui
from gbcs.errors import ConstraintError
from gbcs.spec import specs

DIGITS = 20


@lru_cache(maxsize=1)
def _tables():
    s = specs()
    def table(name):
        rows = s.get("digit_table", name).by_key
        return [[int(c) for c in rows[i].cells["digits"]] for i in sorted(rows)]
    const = {k: r.cells["hex"] for k, r in s.get("crypto_constant", "utrn").by_key.items()}
    classes = {r.cells["value"]: r.cells["name"] for r in s.enum("utrn_value_class").rows}
    return (table("utrn_multiplication"), table("utrn_permutation"), table("utrn_inverse")[0],
            int(const["pptd_offset"], 16), int(const["first_row"], 16), classes)


def check_digit(first19: str) -> int:
    d, p, inverse, _, row, _ = _tables()
    c = 0
    for ch in first19:
        c = d[c][p[row][int(ch)]]
        row = (row + 1) % len(p)
    return inverse[c]


@dataclass(frozen=True)
class Utrn:
    text: str
    ptut: int
    counter_bits: int
    value_class: str            # pennies | pounds
    value: int
    check_digit_ok: bool

    @property
    def high(self) -> int:
        return self.ptut >> 32

    @property
    def counter(self) -> int:
        """The command counter the UTRN stands for (its bits 32-41; the rest zero)."""
        return self.counter_bits << 32

    @property
    def tag_bits(self) -> int:
        return self.ptut & 0xFFFFFFFF


def parse_utrn(text: str) -> Utrn:
    """Split a UTRN into its parts. ConstraintError when it is not 20 digits or out of range."""
    t = text.strip().replace(" ", "").replace("-", "")
    if len(t) != DIGITS or not t.isdigit():
        raise ConstraintError(f"a UTRN is {DIGITS} decimal digits, got {text!r}", 0, "utrn")
    *_, offset, _, classes = _tables()
    ptut = int(t[:19]) - offset
    if ptut < 0 or ptut >> 57:
        raise ConstraintError("the UTRN's digits do not give a PTUT (value out of range)", 0, "utrn")
    high = ptut >> 32
    return Utrn(t, ptut, (high >> 15) & 0x3FF, classes.get((high >> 13) & 3, str((high >> 13) & 3)),
                high & 0x1FFF, check_digit(t[:19]) == int(t[19]))


def _tag(key: bytes, supplier: bytes, device: bytes, counter: int, high: int) -> bytes:
    f = facts()
    aad = (f.mac_security_header[:1] + f.mac_aad_filler + supplier + device + bytes([kdf.mode_byte("command")])
           + counter.to_bytes(8, "big") + high.to_bytes(4, "big"))
    enc = Cipher(algorithms.AES(key), modes.GCM(supplier + bytes(4))).encryptor()
    enc.authenticate_additional_data(aad)
    enc.finalize()
    return enc.tag


def _key(z: bytes, supplier: bytes, device: bytes, counter: int) -> bytes:
    return kdf.derive_key(z, kdf.other_info(supplier, "command", counter, device))


def make_utrn(private_key: ec.EllipticCurvePrivateKey, device_public_key: ec.EllipticCurvePublicKey, *,
              supplier: bytes | str, device: bytes | str, counter: int, value: int,
              value_class: str = "pennies") -> str:
    """A UTRN from the supplier's prepayment KA private key (tests and examples)."""
    *_, offset, _, classes = _tables()
    cls = {v: k for k, v in classes.items()}[value_class]
    if not 0 <= value < 1 << 13:
        raise ValueError("a UTRN value is 0..8191")
    sup, dev = normalise_eui(supplier), normalise_eui(device)
    high = (((counter >> 32) & 0x3FF) << 15) | (cls << 13) | value
    tag = _tag(_key(kdf.ecdh(private_key, device_public_key), sup, dev, counter), sup, dev, counter, high)
    first = f"{(high << 32 | int.from_bytes(tag[12:16], 'big')) + offset:019d}"
    return first + str(check_digit(first))


def verify_utrn(utrn: str | Utrn, keystore: Keystore | None, *, supplier: bytes | str, device: bytes | str,
                counter: int | None = None) -> tuple[str, str]:
    """(status, detail) of a UTRN for a supplier and device: valid | invalid | no-key | unchecked.

    The counter defaults to the one the UTRN encodes (its bits 32-41, as in every known
    top-up). Keys: the supplier's prepayment KA key and the device's KA key, either way round.
    """
    u = utrn if isinstance(utrn, Utrn) else parse_utrn(utrn)
    if not u.check_digit_ok:
        return "invalid", f"UTRN {u.text}: the check digit is wrong"
    if keystore is None:
        return "unchecked", "no keystore given"
    sup, dev = normalise_eui(supplier), normalise_eui(device)
    ctr = u.counter if counter is None else counter
    pairs: list[tuple[KeyEntry, KeyEntry]] = []
    for pe in keystore.private_entries(sup, "ka", prepayment=True):
        pairs += [(pe, qe) for qe in keystore.public_entries(dev, "ka")]
    for pe in keystore.private_entries(dev, "ka"):
        pairs += [(pe, qe) for qe in keystore.public_entries(sup, "ka", prepayment=True)]
    if not pairs:
        return "no-key", (f"UTRN {u.text}: needs the prepayment KA private key of {sup.hex().upper()} "
                          f"(or {dev.hex().upper()}'s KA private key) and the other's public key")
    for pe, qe in pairs:
        tag = _tag(_key(keystore.shared_secret(pe, qe.public_key), sup, dev, ctr), sup, dev, ctr, u.high)
        if int.from_bytes(tag[12:16], "big") == u.tag_bits:
            return "valid", (f"UTRN {u.text} ({u.value} {u.value_class}, counter {ctr:#x}) valid with "
                             f"{pe.label()} × {qe.label()}")
    return "invalid", f"UTRN {u.text}: the tag does not match with {len(pairs)} key pair(s)"


__all__ = ["Utrn", "parse_utrn", "check_digit", "make_utrn", "verify_utrn"]
