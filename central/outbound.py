"""Requests central makes on someone's behalf (alert webhooks, PTV, a catalogue by
address): only to public internet addresses, never back inside.

An admin types an address; central then connects to it from inside the network
it runs in. Without these rules that address could be central itself, its
database, Janus's admin API, a cloud metadata service (169.254.169.254) or any
private host, and a redirect could lead there from a harmless-looking one. So:
- only `http://` and `https://`, with a host name or address;
- the host is resolved once and *every* address it gives must be public
  (`ipaddress.is_global`, not loopback, private, link-local, shared, reserved,
  multicast); the connection then goes to the address that was checked, so a
  DNS answer that changes in between (rebinding) cannot move it;
- redirects are not followed (a 3xx is an answer like any other);
- `CENTRAL_OUTBOUND_ALLOWED_HOSTS` names private hosts an operator trusts
  (an internal PTV mirror, an in-house webhook receiver);
- each request has an overall deadline, however slowly the other end answers.
Checked when an address is saved (`check_url`) and again at each connection.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_DEADLINE_S = 10.0
MAX_ANSWER_BYTES = 1024 * 1024


class OutboundRefused(ValueError):
    """The address is not one central may reach for someone; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


Resolver = Callable[[str, int], Iterable[str]]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"{host} cannot be resolved ({exc})") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allowed_hosts: Iterable[str] = (), resolve: Resolver = _resolve) -> Target:
    """The target `url` names, resolved and checked; OutboundRefused otherwise."""
    if len(url) > 2000:
        raise OutboundRefused("the address is longer than 2000 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"the address cannot be read ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("the address must start with https:// (or http://)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("the address names no host")
    if parts.username or parts.password:
        raise OutboundRefused("the address may not carry a user name or password")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = list(resolve(host, port))
    if not addresses:
        raise OutboundRefused(f"{host} has no address")
    trusted = host.lower() in {h.strip().lower() for h in allowed_hosts if h.strip()}
    if not trusted:
        inside = [a for a in addresses if not is_public(a)]
        if inside:
            where = host if inside == [host] else f"{host} ({', '.join(inside)})"
            raise OutboundRefused(
                f"{where} is not a public internet address; an operator can allow a named "
                "private host with CENTRAL_OUTBOUND_ALLOWED_HOSTS"
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked for the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        raw = socket.create_connection((self.target.address, self.target.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.target.host)


class _PinnedPlain(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.target.port), self.timeout)


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    allowed_hosts: Iterable[str] = (),
    deadline_s: float = DEFAULT_DEADLINE_S,
    max_bytes: int = MAX_ANSWER_BYTES,
    resolve: Resolver = _resolve,
) -> Answer:
    """One request to a checked address, done or abandoned within `deadline_s` in all
    (an answer trickling in a byte at a time is cut off at the deadline: a timer shuts
    the socket). OSError for network failures and the deadline, OutboundRefused for
    addresses central may not reach."""
    target = check_url(url, allowed_hosts, resolve)
    started = time.monotonic()
    kind = _Pinned if target.scheme == "https" else _PinnedPlain
    connection = kind(target, timeout=deadline_s)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(deadline_s, cut)
    timer.daemon = True
    timer.start()
    try:
        connection.request(method, target.path, body=body, headers=headers or {})
        response = connection.getresponse()
        chunks, size = [], 0
        while chunk := response.read(min(65536, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise OSError(f"the answer is larger than {max_bytes} bytes")
        return Answer(response.status, dict(response.getheaders()), b"".join(chunks))
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or time.monotonic() - started >= deadline_s:
            raise TimeoutError(f"no complete answer within {deadline_s:g} s") from exc
        if isinstance(exc, OSError):
            raise
        raise OSError(f"the answer was not HTTP ({exc})") from exc
    finally:
        timer.cancel()
        connection.close()
