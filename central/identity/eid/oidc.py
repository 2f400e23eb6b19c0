"""An FTN broker (and Suomi.fi's coming route) over OpenID Connect, as Traficom's
recommendation 213/2023 S profiles it: the authorisation request goes as a signed
request object, central authenticates at the token endpoint with `private_key_jwt`, and
the ID token comes signed by the provider and encrypted to central's key. The JOSE work
is cryptojwt's (idpyoidc's own library); discovery and the provider's keys are fetched
with timeouts and cached.

Claims read: `personal_identity_code`, `given_name`, `family_name`."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from cryptojwt.jwe.jwe import JWE
from cryptojwt.jwk.jwk import key_from_jwk_dict
from cryptojwt.jwk.rsa import new_rsa_key
from cryptojwt.jws.jws import JWS

from central.identity.eid.broker import Begun, Proved, Refused
from central.identity.sealed import Person
from contract.call_api import IdentificationMethod

SIGNING = "RS256"
KEY_WRAP = "RSA-OAEP-256"
CONTENT = "A256GCM"
CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DISCOVERY_TTL_S = 3600.0
CLOCK_SKEW_S = 60


@dataclass(frozen=True)
class OidcSettings:
    issuer: str  # the provider's issuer; discovery at {issuer}/.well-known/openid-configuration
    client_id: str
    keys: str  # our private keys (JWKS, one "sig" and one "enc" RSA key)
    base: str  # central's public address: the redirect URI hangs off it
    timeout_s: float = 5.0

    @property
    def redirect_uri(self) -> str:
        return f"{self.base}/eid/oidc/callback"


def new_keys() -> dict[str, Any]:
    """A fresh private JWKS for central: one signing and one encryption key."""
    keys = []
    for use in ("sig", "enc"):
        key = new_rsa_key(key_size=3072, kid=f"{use}-{secrets.token_hex(4)}", use=use)
        keys.append(key.serialize(private=True))
    return {"keys": keys}


_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, timeout: float, fresh: bool = False) -> Any:
    with _cache_lock:
        found = _cache.get(url)
    if found and not fresh and found[0] > time.monotonic():
        return found[1]
    try:
        answer = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise Refused(f"The identity provider did not answer ({type(exc).__name__}).") from exc
    if answer.status_code != 200:
        raise Refused(f"The identity provider answered {answer.status_code}.")
    body = answer.json()
    with _cache_lock:
        _cache[url] = (time.monotonic() + DISCOVERY_TTL_S, body)
    return body


@functools.lru_cache(maxsize=4)
def _keys_in(path: str, modified: float) -> tuple[Any, ...]:
    """A JWKS file's keys, read again only when the file changes (a request signs twice
    and decrypts once: three reads of one file otherwise)."""
    body = json.loads(Path(path).read_text())
    return tuple(key_from_jwk_dict(k) for k in body["keys"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FtnOidc:
    """The `Broker` for an OpenID Connect provider of the FTN profile."""

    method = IdentificationMethod.FTN

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings

    def _our_keys(self) -> list[Any]:
        path = Path(self.settings.keys)
        return list(_keys_in(str(path), path.stat().st_mtime))

    def _key(self, use: str) -> Any:
        for key in self._our_keys():
            if key.use == use:
                return key
        raise Refused(f"central has no '{use}' key for the identity provider.")

    def public_keys(self) -> dict[str, Any]:
        """What the provider fetches: our public signing and encryption keys."""
        return {"keys": [k.serialize(private=False) for k in self._our_keys()]}

    def provider(self) -> dict[str, Any]:
        url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        found: dict[str, Any] = _get_json(url, self.settings.timeout_s)
        if found.get("issuer") != self.settings.issuer:
            raise Refused("The identity provider's discovery names another issuer.")
        return found

    def _signed(self, claims: dict[str, Any]) -> str:
        key = self._key("sig")
        signer = JWS(msg=json.dumps(claims), alg=SIGNING, kid=key.kid)
        return str(signer.sign_compact(keys=[key]))

    def begin(self, relay: str, now: datetime) -> Begun:
        provider = self.provider()
        state = f"{relay}.{secrets.token_urlsafe(16)}"
        nonce = secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(48)
        at = int(now.timestamp())
        request_object = self._signed(
            {
                "iss": self.settings.client_id,
                "aud": self.settings.issuer,
                "client_id": self.settings.client_id,
                "response_type": "code",
                "redirect_uri": self.settings.redirect_uri,
                "scope": "openid profile personal_identity_code",
                "state": state,
                "nonce": nonce,
                "prompt": "login",
                "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
                "code_challenge_method": "S256",
                "iat": at,
                "nbf": at,
                "exp": at + 300,
                "jti": secrets.token_urlsafe(16),
            }
        )
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "response_type": "code",
                "scope": "openid",
                "request": request_object,
            }
        )
        return Begun(
            redirect_to=f"{provider['authorization_endpoint']}?{query}",
            memo={"state": state, "nonce": nonce, "verifier": verifier},
        )

    def finish(self, answer: Mapping[str, str], memo: Mapping[str, Any], now: datetime) -> Proved:
        if not secrets.compare_digest(answer.get("state", ""), str(memo.get("state", ""))):
            raise Refused("The answer from the identity provider is for another identification.")
        if "error" in answer:
            raise Refused("The identification was cancelled or failed at the identity provider.")
        code = answer.get("code", "")
        if not code:
            raise Refused("The identity provider's answer carries no code.")
        provider = self.provider()
        token_endpoint = provider["token_endpoint"]
        at = int(now.timestamp())
        assertion = self._signed(
            {
                "iss": self.settings.client_id,
                "sub": self.settings.client_id,
                "aud": token_endpoint,
                "jti": secrets.token_urlsafe(16),
                "iat": at,
                "exp": at + 60,
            }
        )
        try:
            reply = requests.post(
                token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.settings.redirect_uri,
                    "client_assertion_type": CLIENT_ASSERTION,
                    "client_assertion": assertion,
                    "code_verifier": memo.get("verifier", ""),
                },
                timeout=self.settings.timeout_s,
            )
        except requests.RequestException as exc:
            raise Refused(f"The identity provider did not answer ({type(exc).__name__}).") from exc
        if reply.status_code != 200:
            raise Refused("The identity provider refused to hand over the identification.")
        id_token = str(reply.json().get("id_token", ""))
        claims = self.id_token_claims(id_token, provider, str(memo.get("nonce", "")), now)
        hetu = str(claims.get("personal_identity_code", ""))
        surname = str(claims.get("family_name", ""))
        if not hetu or not surname:
            raise Refused("The identity provider did not say who the citizen is.")
        return Proved(Person(str(claims.get("given_name", "")), surname, hetu=hetu), {})

    def id_token_claims(
        self, id_token: str, provider: Mapping[str, Any], nonce: str, now: datetime
    ) -> dict[str, Any]:
        """The ID token opened (our key) and checked: signed by the provider's key, for
        us, in time, with our nonce. Plain (unencrypted) tokens are refused."""
        if id_token.count(".") != 4:
            raise Refused("The ID token is not encrypted to central.")
        try:
            inner = JWE().decrypt(id_token, keys=[self._key("enc")])
        except Exception as exc:  # cryptojwt raises several kinds
            raise Refused("The ID token cannot be opened with central's key.") from exc
        inner_text = inner.decode() if isinstance(inner, bytes) else str(inner)
        claims = self._verified(inner_text, provider)
        at = now.timestamp()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != self.settings.issuer:
            raise Refused("The ID token is from another issuer.")
        if self.settings.client_id not in audiences:
            raise Refused("The ID token is meant for another service.")
        if float(claims.get("exp", 0)) < at - CLOCK_SKEW_S:
            raise Refused("The ID token has expired.")
        if float(claims.get("iat", 0)) > at + CLOCK_SKEW_S:
            raise Refused("The ID token is not valid yet.")
        if not nonce or not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise Refused("The ID token answers another identification.")
        return claims

    def _verified(self, jws: str, provider: Mapping[str, Any]) -> dict[str, Any]:
        for fresh in (False, True):  # the provider may have rolled its keys
            jwks = _get_json(provider["jwks_uri"], self.settings.timeout_s, fresh=fresh)
            keys = [key_from_jwk_dict(k) for k in jwks.get("keys", []) if k.get("use") != "enc"]
            try:
                found: dict[str, Any] = JWS().verify_compact(jws, keys=keys, sigalg=SIGNING)
                return found
            except Exception:  # no key of the provider's checks it (yet)
                continue
        raise Refused("The ID token is not signed by the identity provider.")
