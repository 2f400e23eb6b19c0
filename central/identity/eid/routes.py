"""Which phone routes central offers: those whose settings are set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from central.errors import ApiError
from central.identity.eid.broker import Broker
from central.settings import Settings
from contract.call_api import IdentificationMethod

if TYPE_CHECKING:  # pysaml2 and cryptojwt load on first use: half a second of every start
    from central.identity.eid.oidc import FtnOidc
    from central.identity.eid.saml import SuomifiSaml


def saml_of(settings: Settings, base: str) -> SuomifiSaml | None:
    if not (settings.suomifi_idp_metadata and settings.suomifi_sp_key):
        return None
    from central.identity.eid.saml import SamlSettings, SuomifiSaml

    return SuomifiSaml(
        SamlSettings(
            idp_metadata=settings.suomifi_idp_metadata,
            key=settings.suomifi_sp_key,
            certificate=settings.suomifi_sp_certificate,
            base=base,
            entity_id=settings.suomifi_entity_id,
        )
    )


def oidc_of(settings: Settings, base: str) -> FtnOidc | None:
    if not (settings.ftn_issuer and settings.ftn_client_id and settings.ftn_keys):
        return None
    from central.identity.eid.oidc import FtnOidc, OidcSettings

    return FtnOidc(
        OidcSettings(
            issuer=settings.ftn_issuer,
            client_id=settings.ftn_client_id,
            keys=settings.ftn_keys,
            base=base,
            timeout_s=settings.eid_timeout_s,
        )
    )


def offered(settings: Settings, base: str) -> dict[IdentificationMethod, Broker]:
    found: dict[IdentificationMethod, Broker] = {}
    saml = saml_of(settings, base)
    if saml is not None:
        found[IdentificationMethod.SUOMIFI] = saml
    oidc = oidc_of(settings, base)
    if oidc is not None:
        found[IdentificationMethod.FTN] = oidc
    return found


def broker_for(settings: Settings, base: str, method: IdentificationMethod) -> Broker:
    found = offered(settings, base).get(method)
    if found is None:
        raise ApiError(
            503, "identification_unavailable", f"Central is not set up for {method.value}."
        )
    return found
