"""The citizen's ID card (FINEID) proves who they are by signing central's challenge with
its authentication key; central checks the signature, the certificate's chain to the
population register's CA (the configured trust anchors) and its revocation, and reads
the identity from the certificate. Nothing here trusts the kiosk: it only carries the
card's certificate and signature.

FINEID v3 cards sign with RSA-PSS over SHA-256, v4 cards with ECDSA P-384 over SHA-384
(raw r‖s); the kiosk hands the card the hash of the challenge, `challenge_hash`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from contract.identification import challenge_digest


class CardRefused(ValueError):
    """The card's proof does not hold; the message says why, in words for the official
    and the operator (never the citizen's identity)."""


@dataclass(frozen=True)
class CardIdentity:
    """Who the certificate names: the electronic identification number (SATU) and name."""

    satu: str
    given_names: str
    surname: str
    certificate_serial: int
    not_after: datetime

    @property
    def shown_name(self) -> str:
        """What the kiosk may show: "Matti M." (first given name, surname's initial)."""
        first = self.given_names.split()[0] if self.given_names else ""
        return f"{first} {self.surname[:1]}.".strip()


def challenge_hash(challenge: bytes, certificate: x509.Certificate) -> bytes:
    """The digest the card signs: SHA-256 for an RSA key (v3), SHA-384 for an EC key (v4)."""
    elliptic = isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    return challenge_digest(challenge, elliptic)


def check_signature(certificate: x509.Certificate, challenge: bytes, signature: bytes) -> None:
    key = certificate.public_key()
    digest = challenge_hash(challenge, certificate)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signature,
                digest,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                utils.Prehashed(hashes.SHA256()),
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            half = len(signature) // 2
            if len(signature) % 2 or half == 0:
                raise CardRefused("The card's signature has the wrong length.")
            der = utils.encode_dss_signature(
                int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            )
            key.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA384())))
        else:
            raise CardRefused("The card's key is of a kind FINEID cards do not have.")
    except InvalidSignature as exc:
        raise CardRefused("The card's signature is not over this challenge.") from exc


def chain_to(
    certificate: x509.Certificate,
    anchors: list[x509.Certificate],
    intermediates: list[x509.Certificate],
    now: datetime,
) -> x509.Certificate:
    """The certificate's issuer, checked up to one of the trust anchors: each link
    signed by the next, each valid now. Returns the direct issuer (for OCSP)."""
    known = anchors + intermediates
    path = [certificate]
    while True:
        current = path[-1]
        if not (current.not_valid_before_utc <= now <= current.not_valid_after_utc):
            which = "The card's certificate" if current is certificate else "A CA certificate"
            raise CardRefused(f"{which} is not valid now (expired or not yet valid).")
        if any(current == anchor for anchor in anchors):
            break
        issuers = [c for c in known if c.subject == current.issuer and c not in path]
        for issuer in issuers:
            try:
                current.verify_directly_issued_by(issuer)
            except (InvalidSignature, ValueError, TypeError):
                continue
            path.append(issuer)
            break
        else:
            raise CardRefused("The card's certificate is not from a trusted CA.")
        if len(path) > 6:
            raise CardRefused("The card's certificate chain is too long.")
    if len(path) < 2:
        raise CardRefused("A trust anchor is no citizen's certificate.")
    return path[1]


def _name(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    found = certificate.subject.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def identity_of(certificate: x509.Certificate) -> CardIdentity:
    """The identity an authentication certificate names; refused without one."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH not in usage:
            raise CardRefused("This certificate is not for authentication.")
    except x509.ExtensionNotFound:
        pass  # FINEID authentication certificates may leave it out: key usage decides
    try:
        key_usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not key_usage.digital_signature:
            raise CardRefused("This certificate's key is not for authentication.")
    except x509.ExtensionNotFound as exc:
        raise CardRefused("This certificate says nothing of its key's use.") from exc
    satu = _name(certificate, NameOID.SERIAL_NUMBER)
    if not satu:
        raise CardRefused("The certificate names no electronic identification number.")
    return CardIdentity(
        satu=satu,
        given_names=_name(certificate, NameOID.GIVEN_NAME),
        surname=_name(certificate, NameOID.SURNAME),
        certificate_serial=certificate.serial_number,
        not_after=certificate.not_valid_after_utc,
    )


RevocationCheck = Callable[[x509.Certificate, x509.Certificate], None]


def verify(
    certificate_der: bytes,
    signature: bytes,
    challenge: bytes,
    anchors: list[x509.Certificate],
    intermediates: list[x509.Certificate],
    revocation: RevocationCheck,
    now: datetime,
) -> CardIdentity:
    """The card's identity once everything holds: the certificate parses, chains to an
    anchor, is an authentication certificate, is not revoked, and its key signed this
    challenge. Any failure is a `CardRefused` with its reason."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as exc:
        raise CardRefused("What the card gave is not a certificate.") from exc
    issuer = chain_to(certificate, anchors, intermediates, now)
    identity = identity_of(certificate)
    check_signature(certificate, challenge, signature)
    revocation(certificate, issuer)
    return identity
