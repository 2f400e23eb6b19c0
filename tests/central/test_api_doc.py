"""docs/api.md names every endpoint central serves: the repository's API document keeps up."""

from __future__ import annotations

import re
from pathlib import Path

from central.app import create_app
from central.settings import Settings

API_DOC = Path(__file__).parents[2] / "docs" / "api.md"


def test_every_endpoint_is_in_docs_api_md(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/c.db"))
    text = API_DOC.read_text(encoding="utf-8")
    documented = {
        (m, p.split("?")[0]) for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^ `]*)", text)
    }
    # "GET`/`PUT /x" documents both methods of one path.
    for methods, path in re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:`/`\w+)+) (/[^ `]*)", text):
        documented |= {(m, path.split("?")[0]) for m in methods.split("`/`")}
    missing = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if (method.upper(), path.removeprefix("/api/v1")) not in documented:
                missing.append(f"{method.upper()} {path}")
    assert missing == [], "document these in docs/api.md"
