"""Fuzz every operation of the OpenAPI description: no input a client sends may give a 5xx.

Schemathesis generates valid and invalid requests from central's own
/api/v1/openapi.json and sends them over HTTP to a running central (SQLite
and PostgreSQL), with credentials that get past authentication so the
handlers themselves are exercised, not only the token check.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from devtools.builders import sample_catalogue
from devtools.central_world import make_org, ok

pytestmark = pytest.mark.slow

# 15 of each kind per operation: 25 took 4 of the full run's 31 minutes on both databases.
EXAMPLES_PER_MODE = 15


def test_no_operation_gives_a_server_error(central, national):
    org = make_org(central, national)
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": [s["id"] for s in sample_catalogue()["itemList"][:3]]},
        )
    )
    schema = schemathesis.openapi.from_url(central.url("/openapi.json"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:
        token = org.device_token if "/kiosk/" in operation.path else national
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(central.base, operation, mode, token, calls)
            except Unsatisfiable:
                pass  # an operation without parameters has no invalid variant to send
            except Exception as exc:  # collect all, report together
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    assert len(calls) > len(operations) * 10
    assert not failures, "\n\n".join(failures)


def _fuzz(base, operation, mode, token, calls):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case):
        calls.append(1)
        case.call_and_validate(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error],
            timeout=30,
        )

    run()
