"""A local SAML 2.0 identity provider shaped as Suomi.fi e-Identification's (pysaml2's
Server): metadata with a signing and an encryption key, HTTP-Redirect single sign-on and
logout, HTTP-POST answers with signed, encrypted assertions carrying Suomi.fi's OID
attribute names, and a "choose a test person" login page like Suomi.fi's test IdP.

It trusts the service provider whose metadata it is given (`trust`). Tests and the
benchmark also make answers directly (`answer`), also wrong ones (unsigned, for another
audience, expired), to post them at central themselves.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.samlp import STATUS_AUTHN_FAILED
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from devtools.http_standin import StandinHandler, choose_a_person, serving_on
from devtools.launcher import bound_socket

XMLSEC = "/usr/bin/xmlsec1"


@dataclass(frozen=True)
class TestPerson:
    given_names: str
    surname: str
    hetu: str

    def attributes(self) -> dict[str, list[str]]:
        return {
            "urn:oid:1.2.246.21": [self.hetu],
            "urn:oid:1.2.246.575.1.14": [self.given_names],
            "urn:oid:2.5.4.42": [self.given_names.split()[0]],
            "urn:oid:2.5.4.4": [self.surname],
        }


# Made up; the identity codes have valid check characters and the 9xx individual numbers
# that Finland's test identity codes use.
PERSONS = (
    TestPerson("Nelli Annikki", "Kuusisalo", "010190-998J"),
    TestPerson("Onni Juhani", "Korpilahti", "120375-9975"),
)


def key_and_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate for it (SAML keys are just keys)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_path, certificate_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, certificate_path


@dataclass
class SamlIdp:
    """The IdP's state: its keys, the SP it trusts, the requests waiting for a login."""

    folder: Path
    base: str = ""
    key: Path = field(init=False)
    certificate: Path = field(init=False)
    sp_metadata: str = ""
    other_metadata: list[str] = field(default_factory=list)
    waiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    logouts: list[str] = field(default_factory=list)
    logout_answers: list[str] = field(default_factory=list)
    _server: Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.key, self.certificate = key_and_certificate(self.folder, "idp")

    @property
    def entity_id(self) -> str:
        return f"{self.base}/idp/metadata"

    def config(self) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": XMLSEC,
                "key_file": str(self.key),
                "cert_file": str(self.certificate),
                "metadata": (
                    {"inline": [self.sp_metadata, *self.other_metadata]} if self.sp_metadata else {}
                ),
                "service": {
                    "idp": {
                        "name": "Local e-Identification (Suomi.fi-shaped)",
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.base}/idp/sso", BINDING_HTTP_REDIRECT)
                            ],
                            "single_logout_service": [
                                (f"{self.base}/idp/slo", BINDING_HTTP_REDIRECT)
                            ],
                        },
                        "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                        "want_authn_requests_signed": True,
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                        "signing_algorithm": SIG_RSA_SHA256,
                        "digest_algorithm": DIGEST_SHA256,
                    }
                },
            }
        )
        return config

    def metadata(self) -> str:
        return bytes(create_metadata_string(None, config=self.config(), valid=24)).decode()

    def write_metadata(self) -> Path:
        path = self.folder / "idp-metadata.xml"
        path.write_text(self.metadata())
        return path

    def trust(self, sp_metadata: str, *others: str) -> None:
        """Trusts the SP (central) and any `others` (answers for another audience)."""
        with self._lock:
            self.sp_metadata = sp_metadata
            self.other_metadata = list(others)
            self._server = Server(config=self.config())

    @property
    def server(self) -> Server:
        if self._server is None:
            raise RuntimeError("the IdP trusts no service provider yet (trust())")
        return self._server

    def take_request(self, query: dict[str, str]) -> dict[str, Any]:
        """A signed AuthnRequest from the trusted SP, parsed; unsigned ones are refused."""
        if "Signature" not in query:
            raise ValueError("unsigned authentication request")
        parsed = self.server.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        message = parsed.message
        return {
            "id": message.id,
            "sp": message.issuer.text,
            "acs": message.assertion_consumer_service_url,
            "force_authn": message.force_authn,
            "relay_state": query.get("RelayState", ""),
        }

    def answer(
        self,
        request: dict[str, Any],
        person: TestPerson,
        *,
        audience: str | None = None,
        signed: bool = True,
        encrypted: bool = True,
        lifetime_s: int = 300,
    ) -> str:
        """The SAMLResponse (base64) for `request`, as Suomi.fi would send it, or spoiled."""
        server = self.server
        policy = server.config.getattr("policy", "idp")
        default = policy._restrictions["default"]  # pysaml2 has no setter for it
        name_id = NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16))
        with self._lock:
            default["lifetime"] = {"seconds": lifetime_s}
            try:
                response = server.create_authn_response(
                    person.attributes(),
                    request["id"],
                    request["acs"],
                    audience or request["sp"],
                    name_id=name_id,
                    authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.entity_id},
                    sign_assertion=signed,
                    sign_response=False,
                    encrypt_assertion=encrypted,
                    encrypt_cert_assertion=(
                        _sp_encryption_certificate(self.sp_metadata) if encrypted else None
                    ),
                    sign_alg=SIG_RSA_SHA256,
                    digest_alg=DIGEST_SHA256,
                )
            finally:
                default["lifetime"] = {"minutes": 5}
        return base64.b64encode(str(response).encode()).decode()

    def cancelled(self, request: dict[str, Any]) -> str:
        """The citizen cancelled at the IdP: a Response with status AuthnFailed, as
        Suomi.fi sends one (signed, no assertion)."""
        response = self.server.create_error_response(
            request["id"],
            request["acs"],
            (STATUS_AUTHN_FAILED, "the user cancelled"),
            sign=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return base64.b64encode(str(response).encode()).decode()

    def logout_request(self, sp_slo: str) -> str:
        """An IdP-initiated LogoutRequest to the SP (signed, HTTP-Redirect): its address."""
        _request_id, request = self.server.create_logout_request(
            sp_slo,
            self.server.config.entityid,
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16)),
            sign=False,
        )
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), sp_slo, sign=True, sigalg=SIG_RSA_SHA256
        )
        return str(dict(info["headers"])["Location"])


def _sp_encryption_certificate(sp_metadata: str) -> str:
    found = re.search(r"<(?:\w+:)?X509Certificate>\s*([^<]+?)\s*</", sp_metadata)
    if found is None:
        raise ValueError("the SP's metadata has no certificate")
    return "-----BEGIN CERTIFICATE-----\n" + found.group(1) + "\n-----END CERTIFICATE-----\n"


def _handler(idp: SamlIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(StandinHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/idp/metadata":
                self.send_text(200, idp.metadata(), "application/samlmetadata+xml")
            elif url.path == "/idp/sso":
                try:
                    request = idp.take_request(query)
                except Exception as exc:  # the page says why, as a real IdP would
                    self.send_page(400, "Request refused", html.escape(str(exc)))
                    return
                key = secrets.token_urlsafe(16)
                idp.waiting[key] = request
                names = [f"{p.given_names} {p.surname}" for p in PERSONS]
                body = choose_a_person("/idp/login", key, "Choose a test person", names)
                self.send_page(200, "Local e-Identification", body)
            elif url.path == "/idp/slo":
                if "SAMLRequest" in query:
                    idp.logouts.append(query["SAMLRequest"])
                    idp.server.parse_logout_request(
                        query["SAMLRequest"],
                        BINDING_HTTP_REDIRECT,
                        relay_state=query.get("RelayState"),
                        sigalg=query.get("SigAlg"),
                        signature=query.get("Signature"),
                    )
                else:
                    idp.logout_answers.append(query.get("SAMLResponse", ""))
                    idp.server.parse_logout_request_response(
                        query["SAMLResponse"], BINDING_HTTP_REDIRECT
                    )
                self.send_page(200, "Logged out", "<p>You have logged out.</p>")
            else:
                self.send_page(404, "Not found", "")

        def do_POST(self) -> None:  # noqa: N802
            form = self.form()
            request = idp.waiting.pop(form.get("key", ""), None)
            if self.path != "/idp/login" or request is None:
                self.send_page(400, "No such login", "")
                return
            if form.get("cancel"):
                saml_response = idp.cancelled(request)
            else:
                saml_response = idp.answer(request, PERSONS[int(form.get("person", "0"))])
            fields = {"SAMLResponse": saml_response, "RelayState": request["relay_state"]}
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in fields.items()
            )
            body = (
                f'<form method="post" action="{html.escape(request["acs"])}">{inputs}'
                '<button id="continue">Continue</button></form>'
                "<script>document.forms[0].submit()</script>"
            )
            self.send_page(200, "Returning to the service", body)

    return Handler


@contextmanager
def running_idp(folder: Path) -> Iterator[SamlIdp]:
    """The IdP on a free loopback port; `trust` the SP's metadata before logging in."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    idp = SamlIdp(folder, base=f"http://127.0.0.1:{port}")
    with serving_on(sock, _handler(idp)):
        yield idp
