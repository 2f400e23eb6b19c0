"""Is a card's certificate revoked? Asked of the CA's OCSP responder (the address the
certificate names, or the operator's), with the CRL the certificate names as the
fallback when the responder cannot be reached. An answer that cannot be trusted
(unsigned by the CA or its delegated responder, stale, for another certificate) counts
as no answer; no answer at all refuses the card: a card central cannot check is not
strong identification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from central.identity.fineid import CardRefused

log = logging.getLogger("central")
# How far an answer's times may be off this server's clock.
SKEW = timedelta(minutes=5)


class NoAnswer(Exception):
    """The responder or the CRL could not be read or trusted; why, for the log."""


def _fetch(what: str, url: str, timeout: float, **request: Any) -> bytes:
    """The body of a 200 answer from the responder or the CRL's server, else NoAnswer."""
    try:
        answer = requests.request(
            "POST" if "data" in request else "GET", url, timeout=timeout, **request
        )
    except requests.RequestException as exc:
        raise NoAnswer(f"{what} did not answer: {exc}") from exc
    if answer.status_code != 200:
        raise NoAnswer(f"{what} answered {answer.status_code}")
    return answer.content


def ocsp_url_of(certificate: x509.Certificate) -> str | None:
    try:
        access = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value
    except x509.ExtensionNotFound:
        return None
    for description in access:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return None


def crl_urls_of(certificate: x509.Certificate) -> list[str]:
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        str(name.value)
        for point in points
        for name in point.full_name or []
        if isinstance(name, x509.UniformResourceIdentifier)
    ]


def _responder_ok(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> None:
    """Signed by the issuer itself, or by a responder certificate the issuer signed for
    OCSP signing."""
    signer = issuer
    for candidate in response.certificates:
        if candidate.issuer == issuer.subject:
            try:
                candidate.verify_directly_issued_by(issuer)
                usage = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
            except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
                continue
            if ExtendedKeyUsageOID.OCSP_SIGNING in usage.value:
                signer = candidate
                break
    key = signer.public_key()
    hash_algorithm = response.signature_hash_algorithm or hashes.SHA256()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hash_algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(hash_algorithm))
        else:
            raise NoAnswer("the responder's key is of an unknown kind")
    except InvalidSignature as exc:
        raise NoAnswer("the OCSP answer's signature does not hold") from exc


def ask_ocsp(
    certificate: x509.Certificate, issuer: x509.Certificate, url: str, now: datetime, timeout: float
) -> ocsp.OCSPCertStatus:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    content = _fetch(
        "the OCSP responder",
        url,
        timeout,
        data=request,
        headers={"Content-Type": "application/ocsp-request"},
    )
    try:
        response = ocsp.load_der_ocsp_response(content)
    except ValueError as exc:
        raise NoAnswer("the OCSP answer does not parse") from exc
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise NoAnswer(f"the OCSP responder said {response.response_status.name}")
    _responder_ok(response, issuer)
    if response.serial_number != certificate.serial_number:
        raise NoAnswer("the OCSP answer is about another certificate")
    if response.this_update_utc > now + SKEW:
        raise NoAnswer("the OCSP answer is from the future")
    if response.next_update_utc is not None and response.next_update_utc < now - SKEW:
        raise NoAnswer("the OCSP answer is stale")
    return response.certificate_status


def ask_crl(
    certificate: x509.Certificate, issuer: x509.Certificate, url: str, now: datetime, timeout: float
) -> bool:
    """True when the CRL lists the certificate as revoked."""
    content = _fetch("the CRL's server", url, timeout)
    try:
        crl = x509.load_der_x509_crl(content)
    except ValueError:
        try:
            crl = x509.load_pem_x509_crl(content)
        except ValueError as exc:
            raise NoAnswer("the CRL does not parse") from exc
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        raise NoAnswer("the CRL is not signed by the card's CA")
    if crl.next_update_utc is not None and crl.next_update_utc < now - SKEW:
        raise NoAnswer("the CRL is stale")
    return crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


@dataclass
class Revocation:
    """The check `fineid.verify` runs: OCSP first, the CRL if OCSP gives no answer."""

    ocsp_url: str | None = None  # the operator's responder; else the certificate's own
    timeout_s: float = 5.0
    now: datetime | None = None
    problems: list[str] = field(default_factory=list)

    def __call__(self, certificate: x509.Certificate, issuer: x509.Certificate) -> None:
        now = self.now or datetime.now().astimezone()
        url = self.ocsp_url or ocsp_url_of(certificate)
        if url:
            try:
                status = ask_ocsp(certificate, issuer, url, now, self.timeout_s)
            except NoAnswer as exc:
                self.problems.append(str(exc))
            else:
                if status == ocsp.OCSPCertStatus.GOOD:
                    return
                if status == ocsp.OCSPCertStatus.REVOKED:
                    raise CardRefused("The card's certificate has been revoked.")
                self.problems.append("the OCSP responder does not know the certificate")
        for crl_url in crl_urls_of(certificate):
            try:
                revoked = ask_crl(certificate, issuer, crl_url, now, self.timeout_s)
            except NoAnswer as exc:
                self.problems.append(str(exc))
                continue
            if revoked:
                raise CardRefused("The card's certificate has been revoked.")
            return
        # Why, for the operator (no identity in it: addresses and statuses only).
        log.warning("an ID card's revocation could not be checked: %s", "; ".join(self.problems))
        raise CardRefused(
            "Whether the card is revoked cannot be checked now; try again in a moment."
        )
