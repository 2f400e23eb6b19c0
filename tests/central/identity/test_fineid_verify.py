"""Central's check of an ID card's proof, against a test CA and a real OCSP responder
(`openssl ocsp`): a good v3 (RSA) and v4 (EC P-384) card, and every way it must fail —
a signature over another challenge, a certificate from an unknown CA, a revoked one, an
expired one, no way to check revocation. The card's signature is made here with the
card's key, as the card's chip would (the whole card, APDUs and all, is in the kiosk's
tests)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from central.identity.fineid import CardRefused, challenge_hash, verify
from central.identity.revocation import Revocation
from devtools.card_pki import Citizen, make_card_ca

# A real OCSP responder (openssl) runs for the module: the full suite's.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The CA, its citizens (issued before its OCSP responder starts, which reads its
    index once) and the responder."""
    ca = make_card_ca(tmp_path_factory.mktemp("vrk"))
    ca.people = {
        "rsa": ca.citizen("Matti Juhani", "Meikäläinen", "999198625", kind="rsa"),
        "ec": ca.citizen("Matti Juhani", "Meikäläinen", "999198625", kind="ec"),
        "maija": ca.citizen("Maija", "Virtanen", "999198633"),
        "revoked": ca.citizen("Kalle", "Kadonnut", "999198658", revoked=True),
        "expired": ca.citizen("Vanha", "Kortti", "999198666", valid_days=10, started_days_ago=20),
        "offline": ca.citizen("Olli", "Offline", "999198674"),
    }
    ca.start_responder()
    yield ca
    ca.stop()


def card_sign(citizen: Citizen, challenge: bytes) -> bytes:
    """What a FINEID card's COMPUTE SIGNATURE returns for the challenge's hash."""
    digest = challenge_hash(challenge, citizen.certificate)
    if isinstance(citizen.key, rsa.RSAPrivateKey):
        return citizen.key.sign(
            digest,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
            utils.Prehashed(hashes.SHA256()),
        )
    der = citizen.key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA384())))
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def check(pki, citizen: Citizen, challenge: bytes, signature: bytes, **revocation):
    return verify(
        citizen.der,
        signature,
        challenge,
        anchors=[pki.root],
        intermediates=[pki.ca],
        revocation=Revocation(**revocation),
        now=datetime.now(UTC),
    )


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_good_card_gives_its_identity(pki, kind):
    citizen = pki.people[kind]
    challenge = os.urandom(32)
    identity = check(pki, citizen, challenge, card_sign(citizen, challenge))
    assert (identity.satu, identity.given_names, identity.surname) == (
        "999198625",
        "Matti Juhani",
        "Meikäläinen",
    )
    assert identity.shown_name == "Matti M."


def test_a_signature_over_another_challenge_is_refused(pki):
    citizen = pki.people["maija"]
    signature = card_sign(citizen, os.urandom(32))
    with pytest.raises(CardRefused, match="not over this challenge"):
        check(pki, citizen, os.urandom(32), signature)


def test_a_card_of_an_unknown_ca_is_refused(pki, tmp_path):
    stranger = make_card_ca(tmp_path / "other", name="Other")
    citizen = stranger.citizen("Eve", "Forger", "999198641")
    challenge = os.urandom(32)
    with pytest.raises(CardRefused, match="not from a trusted CA"):
        check(pki, citizen, challenge, card_sign(citizen, challenge))


def test_a_revoked_card_is_refused_by_the_ocsp_answer(pki):
    citizen = pki.people["revoked"]
    challenge = os.urandom(32)
    with pytest.raises(CardRefused, match="has been revoked"):
        check(pki, citizen, challenge, card_sign(citizen, challenge))


def test_an_expired_card_is_refused(pki):
    citizen = pki.people["expired"]
    challenge = os.urandom(32)
    with pytest.raises(CardRefused, match="not valid now"):
        check(pki, citizen, challenge, card_sign(citizen, challenge))


def test_a_card_whose_revocation_cannot_be_checked_is_refused(pki):
    citizen = pki.people["offline"]
    challenge = os.urandom(32)
    # No responder listens there, and the certificate names no CRL.
    revocation = {"ocsp_url": "http://127.0.0.1:9", "timeout_s": 2.0}
    with pytest.raises(CardRefused, match="cannot be checked"):
        check(pki, citizen, challenge, card_sign(citizen, challenge), **revocation)


def test_what_is_no_certificate_is_refused(pki):
    with pytest.raises(CardRefused, match="not a certificate"):
        verify(
            b"\x30\x03junk",
            b"",
            b"x",
            anchors=[pki.root],
            intermediates=[pki.ca],
            revocation=Revocation(),
            now=datetime.now(UTC),
        )
