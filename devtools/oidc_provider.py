"""A local OpenID provider of the FTN profile (Traficom 213/2023 S), written from OpenID
Connect Core and RFC 7523 with cryptojwt, its requests judged by idpyoidc's message
classes: it takes only signed request objects, checks
`private_key_jwt` at its token endpoint and PKCE, and hands out ID tokens signed with its
key and encrypted to the client's (both keys fetched from the client's JWKS address). A
"choose a test person" page stands in for the bank's login.

Tests spoil its tokens on purpose (`spoil`): signed by a key nobody published, not
encrypted, for another audience, expired.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from cryptojwt.jwe.jwe import JWE
from cryptojwt.jwk.jwk import key_from_jwk_dict
from cryptojwt.jwk.rsa import new_rsa_key
from cryptojwt.jws.jws import JWS
from cryptojwt.key_jar import KeyJar
from idpyoidc.message.oidc import AccessTokenRequest, AuthorizationRequest

from devtools.http_standin import StandinHandler, choose_a_person, serving_on
from devtools.launcher import bound_socket
from devtools.saml_idp import PERSONS, TestPerson


@dataclass
class OidcProvider:
    base: str
    clients: dict[str, dict[str, str]] = field(default_factory=dict)  # id → redirect, jwks
    key: Any = field(default_factory=lambda: new_rsa_key(key_size=2048, kid="op-1", use="sig"))
    waiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    spoil: str = ""  # "unknown_key", "plain", "audience", "expired"
    refused: list[str] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.base

    def register(self, client_id: str, redirect_uri: str, jwks_uri: str) -> None:
        self.clients[client_id] = {"redirect_uri": redirect_uri, "jwks_uri": jwks_uri}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "jwks_uri": f"{self.base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "id_token_encryption_alg_values_supported": ["RSA-OAEP-256"],
            "id_token_encryption_enc_values_supported": ["A256GCM"],
            "request_object_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
        }

    def client_keys(self, client_id: str, use: str) -> list[Any]:
        jwks = requests.get(self.clients[client_id]["jwks_uri"], timeout=5).json()
        return [key_from_jwk_dict(k) for k in jwks["keys"] if k.get("use") == use]

    def _client_keyjar(self, client_id: str) -> KeyJar:
        keyjar = KeyJar()
        jwks = requests.get(self.clients[client_id]["jwks_uri"], timeout=5).json()
        keyjar.import_jwks({"keys": [k for k in jwks["keys"] if k.get("use") == "sig"]}, client_id)
        return keyjar

    def take_request(self, query: dict[str, str]) -> dict[str, Any]:
        """The request object, signature and all, checked by idpyoidc's own message
        classes (OpenID Connect Core's rules for an authorisation request), so the
        client is judged by an implementation that is not ours."""
        client_id = query.get("client_id", "")
        if client_id not in self.clients or "request" not in query:
            raise ValueError("unknown client or no request object")
        request = AuthorizationRequest().from_jwt(
            query["request"], keyjar=self._client_keyjar(client_id)
        )
        request.verify()
        claims = request.to_dict()
        if claims.get("aud") != self.issuer or claims.get("iss") != client_id:
            raise ValueError("the request object is not for this provider")
        if claims.get("redirect_uri") != self.clients[client_id]["redirect_uri"]:
            raise ValueError("unregistered redirect_uri")
        if "openid" not in request["scope"] or not claims.get("nonce"):
            raise ValueError("not an OpenID Connect request with a nonce")
        return {**claims, "scope": " ".join(request["scope"])}

    def code_for(self, request: dict[str, Any], person: TestPerson) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"request": request, "person": person, "at": time.time()}
        return code

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        found = self.codes.pop(form.get("code", ""), None)
        if found is None:
            raise ValueError("invalid_grant")
        request = found["request"]
        client_id = request["client_id"]
        AccessTokenRequest(**form).verify()  # idpyoidc: a well-formed code grant
        assertion = JWS().verify_compact(
            form.get("client_assertion", ""),
            keys=self.client_keys(client_id, "sig"),
            sigalg="RS256",
        )
        if assertion.get("aud") != f"{self.base}/token" or assertion.get("sub") != client_id:
            raise ValueError("invalid_client")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != request.get("code_challenge"):
            raise ValueError("invalid_grant (PKCE)")
        return {"id_token": self.id_token(request, found["person"]), "token_type": "Bearer"}

    def id_token(self, request: dict[str, Any], person: TestPerson) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(person.hetu.encode()).hexdigest()[:20],
            "aud": "another-service" if self.spoil == "audience" else request["client_id"],
            "iat": now - (900 if self.spoil == "expired" else 0),
            "exp": now + (-600 if self.spoil == "expired" else 300),
            "nonce": request["nonce"],
            "acr": "http://ftn.ficora.fi/2017/loa3",
            "personal_identity_code": person.hetu,
            "given_name": person.given_names,
            "family_name": person.surname,
        }
        key = self.key
        if self.spoil == "unknown_key":
            key = new_rsa_key(key_size=2048, kid="op-1", use="sig")
        signed = JWS(msg=json.dumps(claims), alg="RS256", kid=key.kid).sign_compact(keys=[key])
        if self.spoil == "plain":
            return str(signed)
        encrypt_to = self.client_keys(request["client_id"], "enc")
        return str(JWE(msg=signed, alg="RSA-OAEP-256", enc="A256GCM").encrypt(keys=encrypt_to))


def _handler(op: OidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(StandinHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self.send_json(200, op.discovery())
            elif url.path == "/jwks":
                self.send_json(200, {"keys": [op.key.serialize(private=False)]})
            elif url.path == "/authorize":
                try:
                    request = op.take_request(query)
                except Exception as exc:
                    op.refused.append(str(exc))
                    self.send_page(400, "Request refused", html.escape(str(exc)))
                    return
                key = secrets.token_urlsafe(16)
                op.waiting[key] = request
                names = [f"{p.given_names} {p.surname}" for p in PERSONS]
                body = choose_a_person("/login", key, "Choose a test person (bank)", names)
                self.send_page(200, "Local FTN broker", body)
            else:
                self.send_page(404, "Not found", "")

        def do_POST(self) -> None:  # noqa: N802
            form = self.form()
            if self.path == "/token":
                try:
                    self.send_json(200, op.token(form))
                except Exception as exc:
                    op.refused.append(str(exc))
                    self.send_json(400, {"error": "invalid_grant", "error_description": str(exc)})
                return
            request = op.waiting.pop(form.get("key", ""), None)
            if self.path != "/login" or request is None:
                self.send_page(400, "No such login", "")
                return
            if form.get("cancel"):
                answer = {"error": "access_denied", "state": request["state"]}
            else:
                person = PERSONS[int(form.get("person", "0"))]
                answer = {"code": op.code_for(request, person), "state": request["state"]}
            self.send_response(303)
            self.send_header("Location", f"{request['redirect_uri']}?{urlencode(answer)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """The provider on a free loopback port; `register` the client before logging in."""
    sock = bound_socket()
    op = OidcProvider(base=f"http://127.0.0.1:{sock.getsockname()[1]}")
    with serving_on(sock, _handler(op)):
        yield op
