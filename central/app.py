"""The central FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from central import __version__
from central.api import auth, bookings, catalogue, fleet, kiosk, organisations, sites, stats
from central.db.engine import make_engine, make_session_factory
from central.db.migrate import upgrade
from central.errors import install_error_handlers
from central.events import MAX_BATCH_BYTES
from central.request_guard import RequestGuard
from central.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    app = FastAPI(
        title="Palvelupiste central",
        version=__version__,
        description="The server kiosks, municipality admins, technicians and booking systems "
        'talk to. Errors are {"error": {"code", "message"}}.',
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    install_error_handlers(app)

    # Kiosk routes first: they carry nearly all traffic, and each router level
    # and each route tried before a match costs time on every request.
    for router in (
        kiosk.device_router,
        kiosk.router,
        auth.router,
        organisations.router,
        sites.router,
        catalogue.router,
        bookings.router,
        fleet.router,
        stats.router,
    ):
        app.include_router(router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.add_middleware(
        RequestGuard,
        default=MAX_BATCH_BYTES,
        by_suffix={
            "/artifact": settings.max_artifact_bytes,
            "/catalogue/import": settings.max_import_bytes,
        },
    )
    return app
