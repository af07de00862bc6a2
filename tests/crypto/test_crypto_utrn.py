"""UTRN top-up codes: made with the supplier's prepayment key, checked with the keystore."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from gbcs.crypto import Keystore, generate_keypair, make_utrn, parse_utrn, verify_utrn
from gbcs.crypto.utrn import check_digit
from gbcs.errors import ConstraintError

from crypto_world import DEVICE, SUPPLIER, world  # noqa: F401 (fixture)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 0x3FF), st.integers(0, 8191), st.sampled_from(["pennies", "pounds"]))
def test_made_utrns_verify_and_parse(counter_bits, value, value_class):
    supplier_pp, device = generate_keypair(), generate_keypair()
    ks = Keystore()
    ks.add_key(SUPPLIER, "ka", private_key=supplier_pp, prepayment=True)
    ks.add_key(DEVICE, "ka", public_key=device.public_key())
    counter = counter_bits << 32
    u = make_utrn(supplier_pp, device.public_key(), supplier=SUPPLIER, device=DEVICE, counter=counter,
                  value=value, value_class=value_class)
    p = parse_utrn(u)
    assert len(u) == 20 and (p.counter, p.value, p.value_class, p.check_digit_ok) == (counter, value, value_class, True)
    assert verify_utrn(u, ks, supplier=SUPPLIER, device=DEVICE)[0] == "valid"
    # the device's side works too (its private key, the supplier's prepayment public key)
    other = Keystore()
    other.add_key(DEVICE, "ka", private_key=device)
    other.add_key(SUPPLIER, "ka", public_key=supplier_pp.public_key(), prepayment=True)
    assert verify_utrn(u, other, supplier=SUPPLIER, device=DEVICE)[0] == "valid"


def test_utrn_failures(world):
    device = generate_keypair()
    u = make_utrn(world.priv(SUPPLIER, "ka", True), device.public_key(), supplier=SUPPLIER, device=DEVICE,
                  counter=3 << 32, value=10, value_class="pounds")
    ks = Keystore.load(world.folder)
    ks.add_key(DEVICE, "ka", public_key=device.public_key())            # replaces nothing: a second key
    assert verify_utrn(u, ks, supplier=SUPPLIER, device=DEVICE)[0] == "valid"
    # made with the ordinary KA key instead of the prepayment key: invalid
    wrong = make_utrn(world.priv(SUPPLIER, "ka"), device.public_key(), supplier=SUPPLIER, device=DEVICE,
                      counter=3 << 32, value=10, value_class="pounds")
    assert verify_utrn(wrong, ks, supplier=SUPPLIER, device=DEVICE)[0] == "invalid"
    digit = str((int(u[-1]) + 1) % 10)
    status, detail = verify_utrn(u[:-1] + digit, ks, supplier=SUPPLIER, device=DEVICE)
    assert status == "invalid" and "check digit" in detail
    assert verify_utrn(u, None, supplier=SUPPLIER, device=DEVICE)[0] == "unchecked"
    assert verify_utrn(u, Keystore(), supplier=SUPPLIER, device=DEVICE)[0] == "no-key"
    assert verify_utrn(u, ks, supplier=SUPPLIER, device=DEVICE, counter=4 << 32)[0] == "invalid"


@pytest.mark.parametrize("text", ["1234", "7394614433204021731x", "00000000000000000000"])
def test_malformed_utrns(text):
    with pytest.raises(ConstraintError):
        parse_utrn(text)


def test_check_digit_catches_single_digit_errors():
    base = "7394614433204021731"
    good = check_digit(base)
    for i in range(19):
        for d in "0123456789":
            if d != base[i]:
                assert check_digit(base[:i] + d + base[i + 1:]) != good
