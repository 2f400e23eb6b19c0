"""A statement as files to keep: CSV for the accounts, PDF to print and archive. Both
say the same as the console page, from the same figures."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.responses import Response

from central.web.attachment import content_disposition
from central.web.pdf import text_pdf

CSV_COLUMNS = ("month", "site", "site_id", "service", "service_id", "calls", "minutes")


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d} €"


def as_csv(figures: dict[str, Any]) -> str:
    """One row per site and service, then the totals and the compensation."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in figures["rows"]:
        writer.writerow(
            [
                figures["month"],
                row["site"],
                row["site_id"],
                row["service"],
                row["service_id"],
                row["calls"],
                row["minutes"],
            ]
        )
    writer.writerow([figures["month"], "total", "", "", "", figures["calls"], figures["minutes"]])
    writer.writerow([])
    writer.writerow(
        [
            "basis",
            "units",
            "amount_cents",
            "net_cents",
            "vat_basis_points",
            "vat_cents",
            "total_cents",
        ]
    )
    writer.writerow(
        [
            figures["basis"],
            figures["units"],
            figures["amount_cents"],
            figures["net_cents"],
            figures["vat_basis_points"],
            figures["vat_cents"],
            figures["total_cents"],
        ]
    )
    return out.getvalue()


BASIS_WORDS = {
    "per_call": "per call",
    "per_started_minute": "per started minute",
    "monthly_per_site": "per site and month",
}


def as_pdf(figures: dict[str, Any], issued: bool) -> bytes:
    title = f"Statement {figures['month']}: {figures['provider']} at {figures['host']}"
    state = f"issued {figures['issued_at'][:10]}" if issued else "draft: the month is not over"
    lines: list[tuple[str, bool]] = [
        (title, True),
        (f"Agreement {figures['agreement_id']} ({figures['kind']}), {state}", False),
        ("", False),
        ("Site / service: calls, started minutes", True),
    ]
    for row in figures["rows"]:
        lines.append((f"{row['site']} / {row['service']}: {row['calls']}, {row['minutes']}", False))
    if not figures["rows"]:
        lines.append(("No calls this month.", False))
    vat = figures["vat_basis_points"]
    lines += [
        ("", False),
        (f"Total: {figures['calls']} calls, {figures['minutes']} started minutes", True),
        (
            f"Compensation: {figures['units']} × {euros(figures['amount_cents'])} "
            f"{BASIS_WORDS[figures['basis']]} = {euros(figures['net_cents'])}",
            False,
        ),
        (f"VAT {vat // 100},{vat % 100:02d} %: {euros(figures['vat_cents'])}", False),
        (f"Total: {euros(figures['total_cents'])}", True),
    ]
    return text_pdf(title, lines)


def download(figures: dict[str, Any], issued: bool, form: str) -> Response | None:
    """The statement as a file of the form asked for (csv, pdf), or None for a page."""
    name = f"statement-{figures['month']}-{figures['agreement_id'][:8]}"
    if form == "csv":
        return Response(
            as_csv(figures),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": content_disposition(name + ".csv")},
        )
    if form == "pdf":
        return Response(
            as_pdf(figures, issued),
            media_type="application/pdf",
            headers={"content-disposition": content_disposition(name + ".pdf")},
        )
    return None
