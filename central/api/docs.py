"""The interactive API documentation, served entirely from the installed packages.

FastAPI's default page loads Swagger UI from a public CDN: an outside party
could change what runs on a page that holds an admin's token, and the page
fails on a closed network. Here the files come from swagger-ui-bundle.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path


def install_docs(app: FastAPI, prefix: str) -> None:
    static = f"{prefix}/docs/static"
    app.mount(static, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json",
            title="Palvelupiste central API",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon-32x32.png",
        )
