"""The central FastAPI application."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from central import __version__
from central.access import security
from central.access.audit import AuditTrail
from central.access.secret_key import load_secret_key
from central.api import (
    agreements,
    appointments,
    auth,
    bookings,
    catalogue,
    deployments,
    desk,
    fleet,
    kiosk,
    kiosk_appointments,
    kiosk_calls,
    officials,
    organisations,
    payments,
    sites,
    stats,
    users,
)
from central.api.docs import install_docs
from central.appointments import no_shows
from central.background import Every
from central.book import page as book_page
from central.calls import janus_relay, lifecycle, media_cleanup, media_pool
from central.calls.media_pool import JanusRooms
from central.console import agreement_pages as console_agreements
from central.console import alert_pages as console_alerts
from central.console import appointment_pages as console_appointments
from central.console import audit_pages as console_audit
from central.console import booking_pages as console_bookings
from central.console import catalogue_pages as console_catalogue
from central.console import deployment_pages as console_deployments
from central.console import fleet_pages as console_fleet
from central.console import map_pages as console_map
from central.console import organisation_pages as console_organisations
from central.console import payment_pages as console_payments
from central.console import people_pages as console_people
from central.console import report_pages as console_reports
from central.console import session_pages as console_session
from central.console import site_pages as console_sites
from central.console import static_files as console_static
from central.db.engine import database_not_writable, make_engine, make_session_factory
from central.db.migrate import upgrade
from central.desk import feed as desk_feed
from central.desk import page as desk_page
from central.eid import page as eid_page
from central.errors import install_error_handlers
from central.fleet import alerts
from central.pay import page as pay_page
from central.payments import charging
from central.payments.paytrail import Paytrail
from central.ptv import sync as ptv_sync
from central.settings import Settings
from central.updates import serving as update_serving
from central.updates import timestamps
from central.usage import retention
from central.visit import page as visit_page
from central.web import log_scrub
from central.web.request_guard import BodyLimits, CallerCache, RequestGuard, caller_lookup
from central.web.security_headers import SecurityHeaders
from contract.events import MAX_BATCH_BYTES

API_PREFIX = "/api/v1"
log = logging.getLogger("central")


def _joined(runners: list[Every], timeout_s: float) -> None:
    """Waits (up to `timeout_s` in all) for passes under way to end, so a stopped central
    leaves nothing writing to its database or beside it."""
    deadline = time.monotonic() + timeout_s
    for runner in runners:
        if not runner.join(max(0.0, deadline - time.monotonic())):
            log.warning("%s was still running when central stopped", runner.name)


def create_app(settings: Settings | None = None, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()
    log_scrub.install()
    engine = make_engine(settings.database_url, settings.database_pool_size)
    if migrate:
        upgrade(engine)

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        runners = [
            retention.runner(started.state.sessions, settings),
            no_shows.runner(started.state.sessions, settings),
            charging.runner(started.state.sessions, started.state.secret_key, settings),
            alerts.runner(started.state.sessions, settings),
            ptv_sync.runner(started.state.sessions, settings),
            media_cleanup.runner(started.state.sessions, started.state.rooms, settings),
            lifecycle.sweeper(started.state.sessions, started.state.rooms, settings),
        ]
        for optional in (
            timestamps.runner(started.state.sessions, settings),
            media_pool.runner(started.state.sessions, started.state.rooms, settings),
        ):
            if optional is not None:
                runners.append(optional)
        for runner in runners:
            runner.start()
        yield
        for runner in runners:
            runner.stop.set()
        await asyncio.to_thread(_joined, runners, 30.0)
        relay_client = getattr(started.state, "janus_http", None)
        if relay_client is not None:
            await relay_client.aclose()

    app = FastAPI(
        lifespan=lifespan,
        title="Palvelupiste central",
        version=__version__,
        description="The server kiosks, municipality admins, technicians and booking systems "
        'talk to. Errors are {"error": {"code", "message"}}.',
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from the installed package: api/docs.py
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.secret_key = load_secret_key(settings)
    app.state.rooms = JanusRooms(settings, app.state.secret_key)
    app.state.paytrail = Paytrail  # the provider's client (tests may give it a session)
    app.state.password_checkers = threading.BoundedSemaphore(settings.password_checks_at_once)
    security.configure_password_hashing(
        settings.password_hash_memory_kib, settings.password_hash_time_cost
    )
    install_error_handlers(app)

    # Kiosk routes first: they carry nearly all traffic, and each router level
    # and each route tried before a match costs time on every request.
    for router in (
        kiosk.device_router,
        kiosk.router,
        kiosk_calls.router,
        kiosk_appointments.router,
        payments.kiosk_router,
        desk.router,
        auth.router,
        officials.router,
        users.router,
        organisations.router,
        sites.router,
        catalogue.router,
        bookings.router,
        appointments.router,
        fleet.router,
        deployments.router,
        stats.router,
        agreements.router,
        payments.router,
    ):
        app.include_router(router, prefix=API_PREFIX)

    install_docs(app, API_PREFIX)
    app.include_router(desk_page.router)
    app.include_router(desk_feed.router)
    app.include_router(eid_page.router)
    app.include_router(book_page.router)
    app.include_router(visit_page.router)
    app.include_router(pay_page.router)
    app.include_router(janus_relay.router)
    app.include_router(update_serving.router)
    for console_router in (
        console_session.router,
        console_static.router,
        console_fleet.router,
        console_alerts.router,
        console_reports.router,
        console_sites.router,
        console_people.router,
        console_catalogue.router,
        console_deployments.router,
        console_audit.router,
        console_agreements.router,
        console_organisations.router,
        console_bookings.router,
        console_appointments.router,
        console_payments.router,
        console_map.router,
    ):
        app.include_router(console_router)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(f"{API_PREFIX}/health/ready", tags=["meta"], response_model=None)
    def ready() -> dict[str, str] | JSONResponse:
        """For a load balancer: 503 while this instance cannot write to its database (it
        is down, or a standby that has not been promoted)."""
        why = database_not_writable(app.state.engine)
        if why is not None:
            return JSONResponse({"status": "not ready", "reason": why}, status_code=503)
        return {"status": "ready", "version": __version__}

    callers = CallerCache(caller_lookup(app.state.sessions))
    # Inside the guard, which names the caller for it.
    app.add_middleware(AuditTrail, sessions=app.state.sessions, callers=callers)
    app.add_middleware(
        RequestGuard,
        limits=BodyLimits(
            default=MAX_BATCH_BYTES,
            large={
                "/artifact": (settings.max_artifact_bytes, "device"),
                "/catalogue/import": (settings.max_import_bytes, "national_admin"),
                "/catalogue/preview": (settings.max_import_bytes, "national_admin"),
                "/scans": (settings.max_call_document_bytes, "device"),
                "/documents": (settings.max_call_document_bytes, "official"),
            },
            public=(f"{API_PREFIX}/auth/login", f"{API_PREFIX}/enroll", "/console/login"),
            # The Janus relay authenticates each request by its room token itself.
            public_prefixes=(
                "/console/invitation/",
                "/janus",
                "/eid/",
                "/book/",
                "/visit/",
                "/desk/feed/",
                "/pay/",
                f"{API_PREFIX}/payments/paytrail/",
            ),
            # The visit's token is checked by its routes; a file from home is as large as
            # a scanned page may be.
            public_large={"/janus": 64 * 1024, "/visit/": settings.max_call_document_bytes},
            item_checked=(f"{API_PREFIX}/kiosk/events",),
        ),
        callers=callers,
        csrf_secret=app.state.secret_key,
    )
    # Outermost: every answer gets the headers, the guard's refusals too.
    app.add_middleware(
        SecurityHeaders, cacheable_prefixes=(f"{API_PREFIX}/docs/static", "/console/static/")
    )
    return app
