"""The `Content-Disposition` of a download, for any file name (RFC 6266, RFC 8187).

HTTP headers are Latin-1: a name such as `Заявление.png` or `Ohcan_Čoahkki.pdf`
put in `filename="…"` as it is cannot be sent at all (it answered 500). The
name goes UTF-8 percent-encoded in `filename*`, which every current browser
reads, with an ASCII stand-in in `filename` for the rest.
"""

from __future__ import annotations

from urllib.parse import quote


def content_disposition(name: str) -> str:
    fallback = (
        "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name).strip()
        or "download"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
