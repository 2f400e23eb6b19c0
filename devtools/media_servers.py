"""Start Janus (VideoRoom) and coturn from Debian's packages with configs of their own.

Used by the demo and the call tests, so both run the media path a service point
runs. Each server gets a folder with its generated config; nothing in /etc is read.
The settings central needs to drive them (admin secret, room admin key, TURN
secret) come back in `MediaServers`.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devtools.processes import stop_all

JANUS_LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
INSTALL_HINT = "apt-get install janus coturn (./run demo and ./run test install them)"


class MediaServerDidNotStart(RuntimeError):
    pass


@dataclass
class MediaServers:
    """Where Janus and coturn listen and the secrets that drive them."""

    janus_url: str  # the client API: http://ip:port/janus
    janus_admin_url: str  # the admin API: http://ip:port/admin
    janus_admin_secret: str
    videoroom_admin_key: str
    turn_host: str
    turn_port: int
    turn_secret: str
    turn_tls_port: int = 0
    # The TURN server's self-signed certificate: what a client must trust for `turns:`.
    turn_certificate: Path | None = None
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    def central_env(self) -> dict[str, str]:
        """Central's settings (CENTRAL_*) that point it at these servers."""
        return {
            "CENTRAL_JANUS_URL": self.janus_url,
            "CENTRAL_JANUS_ADMIN_URL": self.janus_admin_url,
            "CENTRAL_JANUS_ADMIN_SECRET": self.janus_admin_secret,
            "CENTRAL_JANUS_ROOM_ADMIN_KEY": self.videoroom_admin_key,
            "CENTRAL_TURN_URLS": (
                f"turn:{self.turn_host}:{self.turn_port}?transport=udp,"
                f"turn:{self.turn_host}:{self.turn_port}?transport=tcp,"
                f"turns:{self.turn_host}:{self.turn_tls_port}?transport=tcp"
            ),
            "CENTRAL_TURN_SECRET": self.turn_secret,
        }

    def central_settings(self) -> dict[str, str]:
        """The same, as keyword arguments of central's Settings."""
        return {k.removeprefix("CENTRAL_").lower(): v for k, v in self.central_env().items()}

    def pool_entry(self, name: str) -> dict[str, str]:
        """This Janus and coturn as one server of central's `janus_servers` pool."""
        env = self.central_settings()
        return {
            "name": name,
            "url": env["janus_url"],
            "admin_url": env["janus_admin_url"],
            "admin_secret": env["janus_admin_secret"],
            "room_admin_key": env["janus_room_admin_key"],
            "turn_urls": env["turn_urls"],
            "turn_secret": env["turn_secret"],
        }

    def kill_janus(self) -> None:
        """Janus dies (SIGKILL), as a media host that fails; coturn goes on."""
        janus = self.processes[0]
        janus.kill()
        janus.wait(10)

    def stop(self) -> None:
        stop_all(self.processes)


def _free_port(ip: str) -> int:
    """A free port on `ip`; for an address of another namespace (nothing else listens
    there but what this module starts) a random one."""
    with socket.socket() as s:
        try:
            s.bind((ip, 0))
        except OSError:
            return 41000 + secrets.randbelow(8000)
        return s.getsockname()[1]


def janus_config(
    folder: Path, ip: str, port: int, admin_port: int, rtp_ports: str
) -> tuple[str, str]:
    """Writes Janus's configs into `folder`; returns (admin secret, VideoRoom admin key).

    Only the HTTP transport and the VideoRoom plugin load. `token_auth` makes
    every client request carry a token central added for one call, so nobody
    reaches Janus without a call of their own.
    """
    admin_secret = secrets.token_urlsafe(24)
    room_key = secrets.token_urlsafe(24)
    folder.mkdir(parents=True, exist_ok=True)
    plugins = sorted(p.name for p in (JANUS_LIB / "plugins").glob("*.so"))
    transports = sorted(p.name for p in (JANUS_LIB / "transports").glob("*.so"))
    disabled_plugins = ",".join(p for p in plugins if "videoroom" not in p)
    disabled_transports = ",".join(t for t in transports if "janus_http" not in t)
    (folder / "janus.jcfg").write_text(
        f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{JANUS_LIB / "plugins"}"
    transports_folder = "{JANUS_LIB / "transports"}"
    events_folder = "{JANUS_LIB / "events"}"
    loggers_folder = "{JANUS_LIB / "loggers"}"
    debug_level = 3
    admin_secret = "{admin_secret}"
    token_auth = true
    server_name = "palvelupiste"
    session_timeout = 60
    reclaim_session_timeout = 30
    protected_folders = ["/bin", "/boot", "/dev", "/etc", "/proc", "/sys", "/usr", "/var"]
}}
media: {{
    rtp_port_range = "{rtp_ports}"
    no_media_timer = 2
    slowlink_threshold = 0
}}
nat: {{
    nice_debug = false
    ice_enforce_list = "{ip}"
    ice_tcp = false
}}
plugins: {{
    disable = "{disabled_plugins}"
}}
transports: {{
    disable = "{disabled_transports}"
}}
events: {{
    broadcast = false
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {port}
    ip = "{ip}"
    https = false
}}
admin: {{
    admin_base_path = "/admin"
    admin_http = true
    admin_port = {admin_port}
    admin_ip = "{ip}"
    admin_https = false
}}
cors: {{
    allow_origin = "*"
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text(
        f"""general: {{
    admin_key = "{room_key}"
    lock_rtp_forward = true
    string_ids = true
}}
"""
    )
    return admin_secret, room_key


def self_signed_certificate(folder: Path, ip: str) -> tuple[Path, Path]:
    """A certificate for `ip` (and its key), valid a day: TURN over TLS in tests and the
    demo. Production's coturn has a real certificate for its name."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"palvelupiste test TURN {ip}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "turn-cert.pem", folder / "turn-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def coturn_config(
    folder: Path, ip: str, port: int, tls_port: int, relay_ports: tuple[int, int]
) -> str:
    """Writes turnserver.conf (UDP and TCP on `port`, TLS on `tls_port`); returns the
    shared secret of the TURN REST scheme."""
    secret = secrets.token_urlsafe(32)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed_certificate(folder, ip)
    (folder / "turnserver.conf").write_text(
        f"""listening-ip={ip}
relay-ip={ip}
listening-port={port}
tls-listening-port={tls_port}
cert={cert}
pkey={key}
min-port={relay_ports[0]}
max-port={relay_ports[1]}
use-auth-secret
static-auth-secret={secret}
realm=palvelupiste
fingerprint
no-dtls
no-cli
no-multicast-peers
allow-loopback-peers
log-file=stdout
simple-log
pidfile={folder / "turnserver.pid"}
"""
    )
    return secret


def _wait_janus(proc: subprocess.Popen[Any], url: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MediaServerDidNotStart(f"janus stopped: {log.read_text()[-2000:]}")
        try:
            # With token_auth, `info` is the one request that needs no token.
            if requests.get(f"{url}/info", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    proc.kill()
    raise MediaServerDidNotStart(
        f"janus did not answer in {timeout_s} s: {log.read_text()[-2000:]}"
    )


def _wait_port(
    proc: subprocess.Popen[Any], ip: str, port: int, log: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MediaServerDidNotStart(f"turnserver stopped: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise MediaServerDidNotStart(f"turnserver did not listen in {timeout_s} s")


def start_media_servers(
    folder: Path,
    ip: str = "127.0.0.1",
    prefix: list[str] | None = None,
    timeout_s: float = 20.0,
) -> MediaServers:
    """Janus and coturn on `ip`. `prefix` runs them through a wrapper (a network
    namespace's `ip netns exec NAME`), so tests can keep media off real interfaces."""
    for program in ("janus", "turnserver"):
        if shutil.which(program) is None:
            raise MediaServerDidNotStart(f"{program} is not installed: {INSTALL_HINT}")
    prefix = prefix or []
    ports: set[int] = set()
    while len(ports) < 4:  # distinct even when drawn at random for another namespace
        ports.add(_free_port(ip))
    port, admin_port, turn_port, turn_tls_port = sorted(ports)
    base = 20000 + secrets.randbelow(20) * 2000
    admin_secret, room_key = janus_config(
        folder / "janus", ip, port, admin_port, f"{base}-{base + 999}"
    )
    turn_secret = coturn_config(
        folder / "coturn", ip, turn_port, turn_tls_port, (base + 1000, base + 1999)
    )
    janus_log = folder / "janus.log"
    turn_log = folder / "turnserver.log"
    servers = MediaServers(
        janus_url=f"http://{ip}:{port}/janus",
        janus_admin_url=f"http://{ip}:{admin_port}/admin",
        janus_admin_secret=admin_secret,
        videoroom_admin_key=room_key,
        turn_host=ip,
        turn_port=turn_port,
        turn_secret=turn_secret,
        turn_tls_port=turn_tls_port,
        turn_certificate=folder / "coturn" / "turn-cert.pem",
    )
    with janus_log.open("wb") as out:
        janus = subprocess.Popen(
            [*prefix, "janus", "-F", str(folder / "janus"), "-o"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    servers.processes.append(janus)
    with turn_log.open("wb") as out:
        turn = subprocess.Popen(
            [*prefix, "turnserver", "-c", str(folder / "coturn" / "turnserver.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    servers.processes.append(turn)
    try:
        _wait_janus(janus, servers.janus_url, janus_log, timeout_s)
        _wait_port(turn, ip, turn_port, turn_log, timeout_s)
    except BaseException:
        servers.stop()
        raise
    return servers
