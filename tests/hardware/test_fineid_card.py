"""The kiosk's side of the ID card (hardware/cardreader/fineid.py) against a real pcscd
with vsmartcard's virtual reader and a FINEID card written in Python
(devtools/fineid_card.py): the certificate read, PIN tries, the challenge signed
and checked by central's own verification, a wrong PIN, a blocked PIN, a card pulled
half way."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest

pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")

from central.identity.fineid import challenge_hash, verify  # noqa: E402
from devtools.card_pki import make_card_ca  # noqa: E402
from devtools.fineid_card import FineidCard  # noqa: E402
from devtools.vpcd_card import connect_card  # noqa: E402
from devtools.waiting import wait_for  # noqa: E402
from hardware.base import DeviceState  # noqa: E402
from hardware.cardreader import fineid  # noqa: E402
from hardware.cardreader.pcsc import CardReader, CardRemoved  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is not installed"),
]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    ca = make_card_ca(tmp_path_factory.mktemp("vrk"))
    ca.people = {
        "rsa": ca.citizen("Matti Juhani", "Meikäläinen", "999198625", kind="rsa"),
        "ec": ca.citizen("Maija", "Virtanen", "999198633", kind="ec"),
    }
    return ca


@pytest.fixture
def reader(pcscd):
    running = CardReader(reader_filter="Virtual PCD")
    running.start()
    assert wait_for(lambda: running.state == DeviceState.ONLINE, 45)
    yield running
    running.stop()


def inserted(reader, card):
    connect_card(card)
    assert wait_for(lambda: reader.status["card"] == "present")
    return card


def not_revoked(_certificate, _issuer):
    """Revocation is central's part, tested against a real OCSP responder in
    tests/central/identity/; here only the card's proof is under test."""


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_the_card_signs_centrals_challenge_after_the_pin(reader, pki, kind):
    citizen = pki.people[kind]
    card = inserted(reader, FineidCard(citizen, pin="1234"))
    challenge = os.urandom(32)
    # vsmartcard's reader has no PIN pad: asked of the real pcscd, the kiosk falls back to
    # its on-screen keypad.
    assert reader.has_pin_pad() is False
    with reader.session() as send:
        assert send.pin_pad() is None
        certificate = fineid.read_certificate(send)
        assert certificate == citizen.der
        assert fineid.pin_tries_left(send) == 5
        from cryptography import x509

        digest = challenge_hash(challenge, x509.load_der_x509_certificate(certificate))
        signature = fineid.sign(send, "1234", digest, elliptic=kind == "ec")
    identity = verify(
        certificate, signature, challenge, [pki.root], [pki.ca], not_revoked, datetime.now(UTC)
    )
    assert identity.satu == citizen.satu and card.signed == [digest]
    # The PIN reached the card only inside that session: a new one must verify again.
    with reader.session() as send:
        fineid.select_application(send)
        assert send(bytes.fromhex("002A9E9A00")) == b"\x69\x82"
    card.remove()


def test_a_wrong_pin_says_the_tries_left_and_five_block_it(reader, pki):
    card = inserted(reader, FineidCard(pki.people["rsa"], pin="1234"))
    digest = os.urandom(32)
    with reader.session() as send:
        with pytest.raises(fineid.WrongPin) as wrong:
            fineid.sign(send, "9999", digest, elliptic=False)
        assert wrong.value.tries_left == 4 and wrong.value.reason == "wrong_pin"
        assert fineid.pin_tries_left(send) == 4
        for _ in range(3):
            with pytest.raises(fineid.WrongPin):
                fineid.sign(send, "9999", digest, elliptic=False)
        with pytest.raises(fineid.PinBlocked):
            fineid.sign(send, "9999", digest, elliptic=False)
        # Blocked: even the right PIN is refused, and nothing was signed.
        with pytest.raises(fineid.PinBlocked):
            fineid.sign(send, "1234", digest, elliptic=False)
    assert card.signed == []
    with pytest.raises(fineid.CardError, match="4 to 12 digits"):
        with reader.session() as send:
            fineid.sign(send, "12a", digest, elliptic=False)
    card.remove()


def test_a_card_pulled_half_way_is_a_clean_card_removed(reader, pki):
    card = inserted(reader, FineidCard(pki.people["rsa"]))
    with pytest.raises(CardRemoved):
        with reader.session() as send:
            fineid.select_application(send)
            card.remove()
            fineid.read_certificate(send)
    assert wait_for(lambda: reader.status["card"] == "absent")
