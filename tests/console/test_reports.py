"""Usage reports in the console on real events uploaded by a kiosk: figures, charts drawn by
Chart.js, a CSV equal to the filtered rows across all pages, the printable monthly report
(printed to PDF by Chromium), and nothing of another municipality's."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import requests

from devtools.central_world import ok
from tests.console.conftest import SCREENSHOTS, ConsoleWorld, log_in, look, signed_in_as

pytestmark = pytest.mark.slow

SERVICE = "kela-asumistuki"


def event(type_: str, at: datetime, data: dict | None = None, **extra: object) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "at": at.isoformat(),
        "session_id": f"s-{uuid.uuid4().hex[:6]}",
        "data": data or {},
    } | extra


def upload(world: ConsoleWorld, token: str, events: list[dict]) -> None:
    for start in range(0, len(events), 500):
        batch = {"events": events[start : start + 500]}
        ok(world.central.request("POST", "/kiosk/events", token, json=batch))


def a_fortnight(now: datetime) -> list[dict]:
    """14 days of use: visits growing day by day, services, calls, answers, features."""
    events = []
    # Each day's events just after that day's midnight (UTC, the reports' days): "an
    # hour ago" put today's into yesterday when the test ran between 00:00 and 01:00.
    midnight = datetime.combine(now.date(), time(0, 0, 30), UTC)
    for day in range(14):
        at = midnight - timedelta(days=13 - day)
        for _ in range(day + 1):
            events.append(event("session_started", at))
        events.append(event("service_viewed", at, {"service_id": SERVICE}, service_id=SERVICE))
        events.append(event("ticket_printed", at, {"number": day + 1}))
        events.append(event("satisfaction", at, {"score": 1 + day % 5}))
        if day % 2 == 0:
            events.append(
                event("call_ended", at, {"duration_s": 300 + day * 10, "outcome": "completed"})
            )
        if day % 3 == 0:
            events.append(event("accessibility_used", at, {"feature": "large_text", "on": True}))
    return events


def test_a_report_its_csv_and_the_monthly_page(console, world):
    now = datetime.now(UTC)
    upload(world, world.a.device_token, a_fortnight(now))
    upload(world, world.b.device_token, [event("session_started", now - timedelta(hours=1))])
    log_in(console, world, "admin_a", "/console/reports")
    text = console.inner_text("main")
    assert "105 visits" in text  # 1 + 2 + … + 14
    console.wait_for_function(
        "() => Chart.getChart('chart-visits') && Chart.getChart('chart-satisfaction')"
    )
    # The fortnight's 14 days, by their labels: after Finnish midnight the report's last
    # day (Helsinki's today) is a day later than the events' last UTC day.
    chart = console.evaluate(
        "() => { const c = Chart.getChart('chart-visits').data;"
        " return [c.labels, c.datasets[0].data]; }"
    )
    drawn = dict(zip(*chart, strict=True))
    days = [(now - timedelta(days=13 - day)).date().isoformat() for day in range(14)]
    assert [drawn.get(day) for day in days] == list(range(1, 15)), drawn
    answers = console.locator("#satisfaction-heading + table tbody tr").all_inner_texts()
    assert [a.split() for a in answers] == [
        ["1", "3"],
        ["2", "3"],
        ["3", "3"],
        ["4", "3"],
        ["5", "2"],
    ]
    look(console, "reports")

    # Rows: 14 days × {visits, service, ticket, answer} + 7 calls + 5 features = 68.
    csv_link = console.get_attribute("a[download]", "href")
    session = console.context.cookies()
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in session)
    rows = list(
        csv.reader(
            io.StringIO(
                requests.get(
                    f"{world.central.base}{csv_link}",
                    headers={"cookie": cookie, "accept-language": "en-GB"},
                    timeout=10,
                ).text
            )
        )
    )
    # In the page's language, as the table has it (its headings, its event names); each
    # event's code last, for programs.
    headings = console.locator("table.report-rows thead th").all_inner_texts()
    assert rows[0] == ["\ufeff" + headings[0], *headings[1:], "event_type"]
    body = rows[1:]
    shown = console.locator("table.report-rows tbody tr").count()
    assert len(body) == shown == 14 * 4 + 7 + 5
    assert sum(int(r[2]) for r in body if r[3] == "session_started") == 105
    names = {
        c.split("\t")[1] for c in console.locator("table.report-rows tbody tr").all_inner_texts()
    }
    assert {r[1] for r in body} <= names and "session_started" not in names

    # Counted by site instead of by day: one site, every kind of event.
    console.goto(f"{world.central.base}/console/reports?rows_by=site")
    by_site = console.locator("table.report-rows tbody tr").all_inner_texts()
    assert len(by_site) == 6 and all(r.startswith("Yhteispalvelupiste") for r in by_site)

    # A filter: only tickets, first week; the CSV has exactly those rows.
    first = (now - timedelta(days=13)).date().isoformat()
    week = (now - timedelta(days=7)).date().isoformat()
    console.goto(
        f"{world.central.base}/console/reports?event_type=ticket_printed&from={first}&to={week}"
    )
    table = console.locator("table.report-rows tbody tr").count()
    link = console.get_attribute("a[download]", "href")
    filtered = list(
        csv.reader(
            io.StringIO(
                requests.get(
                    f"{world.central.base}{link}",
                    headers={"cookie": cookie, "accept-language": "en-GB"},
                    timeout=10,
                ).text
            )
        )
    )[1:]
    assert len(filtered) == table == 7
    assert {r[3] for r in filtered} == {"ticket_printed"}
    assert {r[1] for r in filtered} != {"ticket_printed"}  # its name, not its code

    # The printable month, printed to PDF by the browser.
    console.goto(f"{world.central.base}/console/reports/monthly?month={now.strftime('%Y-%m')}")
    assert "Järvenpää" in console.inner_text("h1")
    look(console, "monthly")
    pdf = Path(SCREENSHOTS) / "monthly.pdf"
    console.pdf(path=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_another_municipality_reports_only_its_own(console, world):
    log_in(console, world, "admin_b", "/console/reports")
    text = console.inner_text("main")
    assert "Yhteispalvelupiste" in text or "visits" in text
    # Asking for A's organisation or kiosk is refused, not answered.
    console.goto(f"{world.central.base}/console/reports?kiosk={world.a.kiosk_id}")
    assert "Something went wrong" in console.inner_text("h1")
    console.goto(f"{world.central.base}/console/reports?org={world.a.id}")
    assert "Järvenpää" not in console.inner_text("main")


def test_video_appointments_in_the_report(console, world):
    """Bookings by channel and place, with cancellations, in A's report; none in B's."""
    from devtools.appointment_world import nth_free_day, open_calendar
    from devtools.builders import sample_catalogue, service_ids

    ok(world.central.request("POST", "/catalogue/import", world.national, json=sample_catalogue()))
    service = service_ids()[0]
    a = world.a
    open_calendar(world.central, a.tokens["org_admin"], a.tokens["official"], service)
    system = a.tokens["booking_system"]
    query = {"service_id": service, "place": "home"}
    times = nth_free_day(world.central, "/appointments/free", system, query, 2)
    made = []
    for n, place in enumerate(("home", "home", "service_point")):
        body = {
            "service_id": service,
            "place": place,
            "site_id": a.site_id,
            "language": "fi",
            "starts_at": times[n]["starts_at"],
            "name": "Asiakas",
        }
        made.append(ok(world.central.request("POST", "/appointments", system, json=body), 201))
    ok(world.central.request("DELETE", f"/bookings/{made[0]['id']}", system))
    log_in(console, world, "admin_a", "/console/reports")
    table = console.inner_text("#bookings-by-channel")
    row = next(line for line in table.splitlines() if line.startswith("By a booking system"))
    assert row.split("\t")[1:] == ["3", "1", "0", "0"], row
    assert "At a service point\t1" in console.inner_text("main")
    look(console, "reports-appointments")
    with signed_in_as(console, world, "admin_b", "/console/reports") as other:
        table = other.page.inner_text("#bookings-by-channel")
    row = next(line for line in table.splitlines() if line.startswith("By a booking system"))
    assert row.split("\t")[1:] == ["0", "0", "0", "0"], row
