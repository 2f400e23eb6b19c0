"""The Paytrail Payment API's signature, checked against the examples its public
documentation publishes (the test merchant 375917 with secret SAIPPUAKAUPPIAS): a
request's headers and body, and a redirect's query parameters."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from central.payments.charging import receipt_number
from central.payments.paytrail import notice_from, signature, signed_correctly

SECRET = "SAIPPUAKAUPPIAS"
# Paytrail's HMAC example: the request body as JSON.stringify writes it.
BODY = {
    "stamp": "should-be-unique-for-merchant",
    "reference": "3759170",
    "amount": 1525,
    "currency": "EUR",
    "language": "FI",
    "items": [
        {
            "unitPrice": 1525,
            "units": 1,
            "vatPercentage": 24,
            "productCode": "#1234",
            "deliveryDate": "2018-09-01",
        }
    ],
    "customer": {"email": "test.customer@example.com"},
    "redirectUrls": {
        "success": "https://ecom.example.com/cart/success",
        "cancel": "https://ecom.example.com/cart/cancel",
    },
}
# The documentation's redirect example, with its signature.
REDIRECT = (
    "checkout-account=375917&checkout-algorithm=sha256&checkout-amount=2964"
    "&checkout-stamp=15336332710015&checkout-reference=192387192837195"
    "&checkout-transaction-id=4b300af6-9a22-11e8-9184-abb6de7fd2d0&checkout-status=ok"
    "&checkout-provider=nordea"
    "&signature=b2d3ecdda2c04563a4638fcade3d4e77dfdc58829b429ad2c2cb422d0fc64080"
)


def test_a_request_is_signed_as_the_documentation_computes_it():
    headers = {
        "checkout-account": "375917",
        "checkout-algorithm": "sha256",
        "checkout-method": "POST",
    }
    body = json.dumps(BODY, separators=(",", ":"))
    assert signature(SECRET, headers, body) == (
        "84b454005a4f087076ad86cee8b4a646b18982998de7221db57646743cda7b81"
    )
    # Header order does not matter; any change of a header or the body does.
    assert signature(SECRET, dict(reversed(headers.items())), body) == signature(
        SECRET, headers, body
    )
    assert signature(SECRET, {**headers, "checkout-method": "GET"}, body) != signature(
        SECRET, headers, body
    )
    assert signature(SECRET, headers, body + " ") != signature(SECRET, headers, body)


def test_a_redirect_is_checked_and_read_and_any_change_refused():
    params = dict(parse_qsl(REDIRECT))
    assert signed_correctly(SECRET, params)
    notice = notice_from(SECRET, params)
    assert notice is not None
    assert (notice.status, notice.amount_cents, notice.stamp) == ("ok", 2964, "15336332710015")
    for key, value in (("checkout-amount", "1"), ("checkout-status", "fail"), ("signature", "0")):
        assert notice_from(SECRET, {**params, key: value}) is None
    assert notice_from("another secret", params) is None
    # A parameter added later by the provider is signed too (never a fixed list).
    assert not signed_correctly(SECRET, {**params, "checkout-new-field": "x"})


def test_receipt_numbers_are_finnish_bank_references():
    for _ in range(200):
        number = receipt_number()
        digits, check = number[:-1], int(number[-1])
        weights = (7, 3, 1)
        total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(digits)))
        assert len(number) == 10 and (10 - total % 10) % 10 == check
