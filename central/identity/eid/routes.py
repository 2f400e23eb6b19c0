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


def methods(settings: Settings) -> list[IdentificationMethod]:
    """The routes whose settings are set, Suomi.fi first (read from the settings alone:
    no provider is built, no library loaded)."""
    found = []
    if settings.suomifi_idp_metadata and settings.suomifi_sp_key:
        found.append(IdentificationMethod.SUOMIFI)
    if settings.ftn_issuer and settings.ftn_client_id and settings.ftn_keys:
        found.append(IdentificationMethod.FTN)
    return found


def saml_of(settings: Settings, base: str) -> SuomifiSaml | None:
    if IdentificationMethod.SUOMIFI not in methods(settings):
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
    if IdentificationMethod.FTN not in methods(settings):
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


def require(settings: Settings, method: IdentificationMethod) -> None:
    """503 when central offers no such route."""
    if method not in methods(settings):
        raise ApiError(
            503, "identification_unavailable", f"Central is not set up for {method.value}."
        )


def broker_for(settings: Settings, base: str, method: IdentificationMethod) -> Broker:
    require(settings, method)
    found: Broker | None = (
        saml_of(settings, base)
        if method == IdentificationMethod.SUOMIFI
        else oidc_of(settings, base)
    )
    assert found is not None  # `require` checked its settings
    return found
