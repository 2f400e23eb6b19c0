"""An organisation that takes payments at its service point, for tests, the demo and
the benchmark: its Suomi.fi Payments account (the stand-in's test merchant) and a price
list."""

from __future__ import annotations

from typing import Any

from devtools.central_server import RunningCentral
from devtools.central_world import Org, ok
from devtools.paytrail_standin import TEST_MERCHANT
from devtools.waiting import wait_for

PAGE_CENTS = 50  # an A4 page printed, VAT 25.5 % included
COPY_CENTS = 40
FEE_CENTS = 1250  # a service's fee, no VAT (a public authority's fee)


def take_payments(central: RunningCentral, org: Org, service_id: str = "") -> None:
    admin = org.tokens["org_admin"]
    account = {"merchant_id": TEST_MERCHANT[0], "secret": TEST_MERCHANT[1]}
    ok(central.request("PUT", f"/organisations/{org.id}/payment-account", admin, json=account))
    items: list[dict[str, Any]] = [
        {"kind": "print_page", "amount_cents": PAGE_CENTS, "vat_basis_points": 2550},
        {"kind": "copy_page", "amount_cents": COPY_CENTS, "vat_basis_points": 2550},
    ]
    if service_id:
        items.append(
            {
                "kind": "service",
                "service_id": service_id,
                "amount_cents": FEE_CENTS,
                "vat_basis_points": 0,
            }
        )
    ok(central.request("PUT", f"/sites/{org.site_id}/prices", admin, json={"items": items}))


def wait_for_status(
    central: RunningCentral, org: Org, payment_id: str, wanted: str, timeout_s: float = 10
) -> dict[str, Any]:
    """The kiosk's view of the payment once it is `wanted` (as the kiosk polls), or as it
    is when the time is up."""

    def seen() -> dict[str, Any]:
        found: dict[str, Any] = ok(
            central.request("GET", f"/kiosk/payments/{payment_id}", org.device_token)
        )
        return found

    wait_for(lambda: seen()["status"] == wanted, timeout_s)
    return seen()
