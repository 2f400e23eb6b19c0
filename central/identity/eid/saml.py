"""Suomi.fi e-Identification as a SAML 2.0 service provider (pysaml2; Debian's xmlsec1
signs and checks). Requests are signed and force a fresh login; the assertion must come
encrypted to our key, signed by the IdP of the configured metadata, for our entity id,
in answer to the request this handoff made, within its lifetime. Single logout: the
IdP's logout requests are answered; the citizen's phone can log out after identifying.

Suomi.fi names attributes by OID (the URI name format): `urn:oid:1.2.246.21` is the
personal identity code, `urn:oid:1.2.246.575.1.14` the first names, `urn:oid:2.5.4.42`
the given (calling) name, `urn:oid:2.5.4.4` the surname."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import saml2
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from central.identity.eid.broker import Begun, Proved, Refused
from central.identity.sealed import Person
from contract.call_api import IdentificationMethod

log = logging.getLogger(__name__)
# pysaml2 logs whole messages, decrypted assertions too (names, identity codes), and its
# errors quote them: never into central's logs. Central logs its own reason instead.
logging.getLogger("saml2").setLevel(logging.CRITICAL)

HETU = "urn:oid:1.2.246.21"
FIRST_NAMES = "urn:oid:1.2.246.575.1.14"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
REQUESTED = (HETU, FIRST_NAMES, GIVEN_NAME, SURNAME)
XMLSEC = "/usr/bin/xmlsec1"


@dataclass(frozen=True)
class SamlSettings:
    idp_metadata: str  # the IdP's metadata file (Suomi.fi's test or production one)
    key: str  # our signing and decryption key (PEM)
    certificate: str  # its certificate, published in our metadata
    base: str  # central's public address: the entity id and endpoints hang off it
    entity_id: str = ""

    @property
    def our_entity_id(self) -> str:
        return self.entity_id or f"{self.base}/eid/saml/metadata"


def _config(settings: SamlSettings) -> SPConfig:
    base = settings.base
    config = SPConfig()
    config.load(
        {
            "entityid": settings.our_entity_id,
            "xmlsec_binary": XMLSEC,
            "key_file": settings.key,
            "cert_file": settings.certificate,
            "encryption_keypairs": [{"key_file": settings.key, "cert_file": settings.certificate}],
            "metadata": {"local": [settings.idp_metadata]},
            "allow_unknown_attributes": True,
            "accepted_time_diff": 30,
            "service": {
                "sp": {
                    "name": "Palvelupiste",
                    "endpoints": {
                        "assertion_consumer_service": [(f"{base}/eid/saml/acs", BINDING_HTTP_POST)],
                        "single_logout_service": [(f"{base}/eid/saml/slo", BINDING_HTTP_REDIRECT)],
                    },
                    "authn_requests_signed": True,
                    "logout_requests_signed": True,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "want_assertions_or_response_signed": True,
                    "allow_unsolicited": False,
                    "force_authn": True,
                    "name_id_format": NAMEID_FORMAT_TRANSIENT,
                    "requested_attributes": [
                        {"name": name, "name_format": saml2.saml.NAME_FORMAT_URI, "required": True}
                        for name in REQUESTED
                    ],
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                }
            },
        }
    )
    return config


@functools.lru_cache(maxsize=4)
def _client(settings: SamlSettings, metadata_modified: float) -> Saml2Client:
    return Saml2Client(config=_config(settings))


def _first(values: Mapping[str, Any], *names: str) -> str:
    for name in names:
        found = values.get(name)
        if found:
            return str(found[0] if isinstance(found, list) else found)
    return ""


class SuomifiSaml:
    """The `Broker` for Suomi.fi e-Identification."""

    method = IdentificationMethod.SUOMIFI

    def __init__(self, settings: SamlSettings) -> None:
        self.settings = settings

    @property
    def client(self) -> Saml2Client:
        modified = Path(self.settings.idp_metadata).stat().st_mtime
        return _client(self.settings, modified)

    def idp(self) -> str:
        idps = list(self.client.metadata.identity_providers())
        if len(idps) != 1:
            raise Refused("e-Identification's metadata must name exactly one identity provider.")
        return str(idps[0])

    def metadata(self) -> str:
        """Our SP metadata, to register with Suomi.fi (signing and encryption key)."""
        found = create_metadata_string(None, config=self.client.config, valid=24 * 365)
        return bytes(found).decode()

    def begin(self, relay: str, now: datetime) -> Begun:
        request_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp(),
            relay_state=relay,
            binding=BINDING_HTTP_REDIRECT,
            sign=True,
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            force_authn="true",
        )
        location = dict(info["headers"])["Location"]
        return Begun(redirect_to=location, memo={"request_id": request_id})

    def finish(self, answer: Mapping[str, str], memo: Mapping[str, Any], now: datetime) -> Proved:
        raw = answer.get("SAMLResponse", "")
        if not raw:
            raise Refused("The answer from e-Identification is empty.")
        try:
            response = self.client.parse_authn_request_response(
                raw, BINDING_HTTP_POST, outstanding={memo["request_id"]: "/"}
            )
        except Exception as exc:  # pysaml2 raises many kinds; each means "proves nothing"
            log.info("a SAML answer was refused: %s", _why(exc))
            why = _why(exc)
            raise Refused(f"The answer from e-Identification was not accepted ({why}).") from exc
        if response is None or response.assertion is None:
            raise Refused("The answer from e-Identification carries no assertion.")
        if not response.assertion.signature and not response.response.signature:
            raise Refused("The answer from e-Identification is not signed.")
        values = response.ava
        hetu = _first(values, HETU, "nationalIdentificationNumber")
        surname = _first(values, SURNAME, "sn")
        given = _first(values, FIRST_NAMES, "FirstName", GIVEN_NAME, "givenName")
        if not hetu or not surname:
            raise Refused("e-Identification did not say who the citizen is.")
        name_id = response.assertion.subject.name_id
        statements = response.assertion.authn_statement or []
        return Proved(
            Person(given_names=given, surname=surname, hetu=hetu),
            {
                "name_id": name_id.text if name_id is not None else "",
                "name_id_format": name_id.format if name_id is not None else "",
                "session_index": (statements[0].session_index or "") if statements else "",
            },
        )

    def logout(self, name_id: str, name_id_format: str, session_index: str) -> str:
        """Where the phone goes to end its e-Identification session (a signed request)."""
        idp = self.idp()
        destination = self._idp_logout_service()
        request_id, request = self.client.create_logout_request(
            destination,
            idp,
            name_id=NameID(text=name_id, format=name_id_format),
            session_indexes=[session_index] if session_index else None,
            sign=False,
        )
        info = self.client.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination, sign=True, sigalg=SIG_RSA_SHA256
        )
        return str(dict(info["headers"])["Location"])

    def _idp_logout_service(self) -> str:
        services = self.client.metadata.single_logout_service(
            self.idp(), BINDING_HTTP_REDIRECT, "idpsso"
        )
        return str(services[0]["location"])

    def answer_logout(self, query: Mapping[str, str]) -> str:
        """The IdP ends a session: central keeps none past the call, so it answers success
        (signed), after checking the request's signature."""
        try:
            request = self.client.parse_logout_request(
                query["SAMLRequest"],
                BINDING_HTTP_REDIRECT,
                relay_state=query.get("RelayState"),
                sigalg=query.get("SigAlg"),
                signature=query.get("Signature"),
            )
        except Exception as exc:
            raise Refused(f"The logout request was not accepted ({_why(exc)}).") from exc
        response = self.client.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
        info = self.client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            self._idp_logout_service(),
            relay_state=query.get("RelayState", ""),
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
        return str(dict(info["headers"])["Location"])


def _why(exc: Exception) -> str:
    names = {
        "SignatureError": "its signature does not check",
        "ResponseLifetimeExceed": "it has expired",
        "ToEarly": "it is not valid yet",
        "UnsolicitedResponse": "it answers no request of this identification",
        "StatusError": "the identification was cancelled or failed",
        "MissingKey": "it is signed by an unknown key",
        "DecryptError": "it cannot be opened with our key",
    }
    for kind in type(exc).__mro__:
        if kind.__name__ in names:
            return names[kind.__name__]
    text = str(exc)
    if "AudienceRestriction" in text:
        return "it is meant for another service"
    if "Condition not OK" in text or "expired" in text.lower():
        return "it has expired"
    return "it is not a valid answer for this service"
