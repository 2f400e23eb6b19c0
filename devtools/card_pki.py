"""A test population register CA for FINEID cards: a root, an issuing CA, an OCSP
responder (`openssl ocsp`, a real one) and citizens' authentication certificates (RSA
like FINEID v3, EC P-384 like v4), some revoked or expired. Written with `cryptography`;
nothing here is the product's."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from devtools.launcher import free_port
from devtools.waiting import wait_for


def _name(**parts: str) -> x509.Name:
    oids = {
        "cn": NameOID.COMMON_NAME,
        "o": NameOID.ORGANIZATION_NAME,
        "c": NameOID.COUNTRY_NAME,
        "serial": NameOID.SERIAL_NUMBER,
        "given": NameOID.GIVEN_NAME,
        "surname": NameOID.SURNAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


def _pem(path: Path, certificate: x509.Certificate) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


@dataclass
class Citizen:
    given: str
    surname: str
    satu: str
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class CardCA:
    folder: Path
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    ca: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    ocsp_port: int
    revoked: list[x509.Certificate] = field(default_factory=list)
    issued: list[x509.Certificate] = field(default_factory=list)
    responder: subprocess.Popen[bytes] | None = None
    people: dict[str, Citizen] = field(default_factory=dict)

    @property
    def ocsp_url(self) -> str:
        return f"http://127.0.0.1:{self.ocsp_port}"

    def citizen(
        self,
        given: str,
        surname: str,
        satu: str,
        kind: str = "rsa",
        valid_days: int = 365,
        started_days_ago: int = 1,
        revoked: bool = False,
    ) -> Citizen:
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
            rsa.generate_private_key(65537, 2048)
            if kind == "rsa"
            else ec.generate_private_key(ec.SECP384R1())
        )
        start = datetime.now(UTC) - timedelta(days=started_days_ago)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(
                _name(
                    c="FI",
                    cn=f"{surname} {given} {satu}",
                    surname=surname,
                    given=given,
                    serial=satu,
                )
            )
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=valid_days))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(self.ocsp_url),
                        )
                    ]
                ),
                False,
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        self.issued.append(certificate)
        if revoked:
            self.revoked.append(certificate)
        # openssl ocsp reads its index once, at start: issue every card before it.
        assert self.responder is None, "issue the cards before starting the responder"
        self._write_index()
        return Citizen(given, surname, satu, key, certificate)

    def _write_index(self) -> None:
        lines = []
        for certificate in self.issued:
            expiry = certificate.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
            dn = "/" + "/".join(a.rfc4514_string() for a in certificate.subject)
            if certificate in self.revoked:
                when = (datetime.now(UTC) - timedelta(hours=1)).strftime("%y%m%d%H%M%SZ")
                lines.append(f"R\t{expiry}\t{when}\t{certificate.serial_number:X}\tunknown\t{dn}")
            else:
                lines.append(f"V\t{expiry}\t\t{certificate.serial_number:X}\tunknown\t{dn}")
        (self.folder / "index.txt").write_text("".join(line + "\n" for line in lines))
        # One person may hold two cards (a v3 and a v4): the same subject twice.
        (self.folder / "index.txt.attr").write_text("unique_subject = no\n")

    def start_responder(self) -> None:
        """`openssl ocsp` answering for the issuing CA, signed by a delegated responder."""
        self.responder = subprocess.Popen(
            [
                "openssl", "ocsp", "-index", str(self.folder / "index.txt"),
                "-port", str(self.ocsp_port), "-rsigner", str(self.folder / "ocsp.pem"),
                "-rkey", str(self.folder / "ocsp.key"), "-CA", str(self.folder / "ca.pem"),
                "-nmin", "5", "-ignore_err",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # Asked a real (if unknown) question: a bare connect-and-close leaves openssl's
        # one-at-a-time server waiting on that connection.
        question = (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(b"\0" * 20, b"\0" * 20, 1, hashes.SHA1())
            .build()
            .public_bytes(serialization.Encoding.DER)
        )

        def listening() -> bool:
            try:
                requests.post(self.ocsp_url, data=question, timeout=2)
                return True
            except requests.RequestException:
                return False

        assert wait_for(listening, 10), "openssl ocsp did not start"

    def stop(self) -> None:
        if self.responder is not None:
            self.responder.terminate()
            self.responder.wait(5)
            self.responder = None


def _ca_cert(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey,
    signer: rsa.RSAPrivateKey,
    days: int,
    path_length: int,
) -> x509.Certificate:
    now = datetime.now(UTC) - timedelta(days=1)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .sign(signer, hashes.SHA256())
    )


def make_card_ca(folder: Path, name: str = "Test VRK") -> CardCA:
    """A root, an issuing CA and a delegated OCSP responder certificate, written to
    `folder` (ca.pem, root.pem, ocsp.pem, ocsp.key) for openssl ocsp."""
    folder.mkdir(parents=True, exist_ok=True)
    root_key = rsa.generate_private_key(65537, 2048)
    root_name = _name(c="FI", o=name, cn=f"{name} Root CA")
    root = _ca_cert(root_name, root_name, root_key, root_key, 3650, 1)
    ca_key = rsa.generate_private_key(65537, 2048)
    ca = _ca_cert(
        _name(c="FI", o=name, cn=f"{name} Citizen CA"), root_name, ca_key, root_key, 1825, 0
    )
    ocsp_key = rsa.generate_private_key(65537, 2048)
    now = datetime.now(UTC) - timedelta(days=1)
    responder = (
        x509.CertificateBuilder()
        .subject_name(_name(c="FI", o=name, cn=f"{name} OCSP"))
        .issuer_name(ca.subject)
        .public_key(ocsp_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)
        .sign(ca_key, hashes.SHA256())
    )
    _pem(folder / "root.pem", root)
    _pem(folder / "ca.pem", ca)
    _pem(folder / "ocsp.pem", responder)
    (folder / "ocsp.key").write_bytes(
        ocsp_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    result = CardCA(folder, root, root_key, ca, ca_key, free_port())
    result._write_index()
    return result
