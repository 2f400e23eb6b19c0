"""Runtime settings of central, read from the environment (prefix `CENTRAL_`).

Every field can be set by an operator, e.g. `CENTRAL_ACCESS_TOKEN_TTL_S=3600`;
docs/operator.md lists them. Defaults suit a small deployment.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CENTRAL_", frozen=True, extra="ignore")

    # `CENTRAL_DATABASE` is also read, for `central serve`'s workers (asgi.py).
    database_url: str = "sqlite:///central.db"
    # PostgreSQL connections each worker keeps open, never more (central/db/engine.py).
    database_pool_size: int = Field(default=20, ge=1, le=200)
    # How people and kiosks reach central (https://central.example.fi): the links in
    # invitation mails and enrolment QR codes. Set it in production: unset, links follow
    # the request's Host header, which whoever sends the request chooses.
    public_base_url: str = ""
    # Private hosts (comma-separated names) central may reach on someone's behalf: alert
    # webhooks, PTV, catalogue addresses go only to public addresses otherwise
    # (central/outbound.py).
    outbound_allowed_hosts: str = ""
    # Where the server's own secret lives (keys booking codes); made 0600 on first start.
    # Unset: beside an SQLite database, else ./central.key (central/access/secret_key.py).
    # An explicit CENTRAL_SECRET_KEY (32 characters or more) wins over the file.
    secret_key_file: str | None = None
    secret_key: str | None = Field(default=None, min_length=32)
    # A kiosk is shown offline after max(3 heartbeat intervals, this) without a heartbeat
    # (central/fleet/fleet_status.py): five minutes, so a restart or a short outage is no alarm.
    offline_after_s: int = 300
    # Commands not delivered and finished within this time end as "expired".
    command_ttl_s: int = 24 * 3600
    access_token_ttl_s: int = 12 * 3600
    # Device tokens expire after this; kiosks rotate theirs when half of it is left.
    device_token_ttl_s: int = 90 * 86400
    # Wrong passwords: per account and address, per address, and per account from anywhere.
    # Past the free ones, the lock doubles from the base up to the cap.
    login_free_failures: int = 5
    login_free_failures_per_address: int = 20
    login_free_failures_per_account: int = 50
    login_lock_base_s: int = 30
    login_lock_max_s: int = 900
    # Password checks (argon2, ~150 ms and 64 MiB each) at once per worker: one leaves
    # the other core to kiosks (bench/central_abuse.py: 2 per worker doubled the slowdown).
    password_checks_at_once: int = 1
    # argon2id's cost for new password hashes (RFC 9106's 64 MiB × 3 by default). Below
    # OWASP's floor (19 MiB × 2) only for tests: each login of a test world costs 0.1 s else.
    password_hash_memory_kib: int = Field(default=65536, ge=1024)
    password_hash_time_cost: int = Field(default=3, ge=1)
    max_artifact_bytes: int = 10 * 1024 * 1024
    max_import_bytes: int = 50 * 1024 * 1024
    # What central keeps, in days, unless an organisation sets its own (retention API).
    retention_usage_days: int = 3 * 365
    retention_bookings_days: int = 90
    retention_screenshots_days: int = 30
    # Documents and chat of a call (scanned pages are personal data): one day by default.
    retention_call_documents_days: int = 1
    # The ID card route of strong identification (central/identity/): PEM bundles of the
    # population register's root certificates (the trust anchors) and its issuing CAs;
    # the OCSP responder if not the one each certificate names; how long a revocation
    # check may take. Without anchors the card route answers 503.
    fineid_trust_anchors: str = ""
    fineid_ca_certificates: str = ""
    fineid_ocsp_url: str = ""
    fineid_check_timeout_s: float = Field(default=5.0, gt=0, le=30)
    # Identification by the citizen's phone (central/identity/eid/). Suomi.fi
    # e-Identification over SAML: the IdP's metadata file, central's signing and
    # decryption key and its certificate (PEM), and the entity id registered with Suomi.fi
    # (default {public_base_url}/eid/saml/metadata). An FTN broker over OpenID Connect:
    # its issuer, central's client id there, and central's private keys (a JWKS file made
    # by `central eid-keys`). A route with its settings unset is not offered.
    suomifi_idp_metadata: str = ""
    suomifi_sp_key: str = ""
    suomifi_sp_certificate: str = ""
    suomifi_entity_id: str = ""
    ftn_issuer: str = ""
    ftn_client_id: str = ""
    ftn_keys: str = ""
    eid_timeout_s: float = Field(default=5.0, gt=0, le=30)
    # How often a worker applies retention.
    retention_every_s: int = 3600
    # How often central looks for organisations whose PTV sync is due.
    ptv_sync_check_every_s: int = 300
    # The first pause after a failed PTV request (doubled each try, five tries: 1+2+4+8 s).
    ptv_retry_pause_s: float = Field(default=1.0, gt=0, le=60)
    # The audit log (central/access/audit.py) is kept this long, for every organisation alike.
    audit_retention_days: int = 2 * 365
    # Worker processes for `central serve` (uvicorn), when --workers is not given.
    workers: int = 1
    # This process's name among several centrals, in `periodic_runs` (which instance ran a
    # periodic job last); empty: host name and process id.
    instance_name: str = Field(default="", max_length=120)
    # Outgoing mail for alerts; empty host: no mail is sent (notices wait and are retried).
    mail_host: str = ""
    mail_port: int = 587
    mail_from: str = "palvelupiste@localhost"
    mail_starttls: bool = True
    mail_user: str = ""
    mail_password: str = ""
    # The release repository central serves at /updates/ (central/updates/repository.py):
    # a folder with metadata/ and targets/; unset: central serves no updates.
    update_repository: str | None = None
    # Where kiosks fetch releases when not from central's /updates/ (any static host or
    # CDN holding the same metadata/ and targets/); empty: central's own /updates/.
    update_base_url: str = ""
    # The folder holding the online keys (snapshot.pem, timestamp.pem): with it, central
    # signs a new timestamp whenever less than half of the current one's life is left.
    update_keys: str | None = None
    update_timestamp_check_s: float = Field(default=600, gt=0)
    # How often alerts are evaluated and their notices sent (central/fleet/alerts.py).
    alerts_every_s: float = Field(default=30, gt=0, le=60)

    # The citizens' booking pages (/book/): holds a browser's address may make an hour,
    # holds one e-mail address may receive an hour, and booking codes an address may try.
    booking_holds_per_address_hour: int = Field(default=10, ge=1)
    booking_holds_per_email_hour: int = Field(default=3, ge=1)
    booking_code_tries_per_address_hour: int = Field(default=20, ge=1)
    # A video appointment nobody checked in for this long after its start is a no-show;
    # checked (and unproven web holds let go) this often.
    appointment_no_show_after_min: int = Field(default=15, ge=1)
    appointment_check_every_s: float = Field(default=60, gt=0)

    # Payments (docs/operator.md, "Payments"). Suomi.fi Payments' address (Paytrail's
    # Payment API); each organisation's merchant account is set through the API.
    paytrail_url: str = "https://services.paytrail.com"
    # How long a citizen has to pay before the kiosk gives up and central expires the
    # payment (after asking the provider once more); checked this often.
    payment_open_minutes: int = Field(default=10, ge=1, le=60)
    payment_check_every_s: float = Field(default=30, gt=0)
    # Paytrail requires a customer e-mail address; the payer stays anonymous, so this
    # one address (the service point's, say) is sent for every payment.
    payment_customer_email: str = "maksut@palvelupiste.invalid"

    # Video calls (docs/operator.md, "Video calls"). The Janus URL is what browsers and
    # kiosks reach; the admin URL and secrets only central uses. No Janus URL: no calls.
    janus_url: str = ""
    # Participants reach Janus through central's relay (/janus: each token only its own
    # call's room); then janus_url need only be reachable by central. Off: participants
    # get janus_url itself (listparticipants of any known room id is open to them).
    janus_relay: bool = True
    # A pool of media servers instead of the single one above: a JSON list of
    # {name, url, admin_url?, admin_secret?, room_admin_key?, turn_urls?, turn_secret?}
    # (a missing field takes the single server's setting). docs/operator.md "Several
    # media servers".
    janus_servers: str = ""
    # How often one central checks that each Janus of a pool answers (out after two
    # failed checks; its calls' rooms move to the others).
    media_check_every_s: float = Field(default=1.0, gt=0, le=60)
    janus_admin_url: str = ""
    janus_admin_secret: str = ""
    janus_room_admin_key: str = ""
    # How often access Janus could not take back (a departed party's token, an ended call's
    # room) is tried again (central/calls/media_cleanup.py).
    media_cleanup_every_s: float = Field(default=5, gt=0, le=60)
    # TURN servers handed to participants, comma-separated (turn:host:3478?transport=udp,
    # turns:host:443?transport=tcp), with time-limited credentials from this shared secret.
    turn_urls: str = ""
    turn_secret: str = ""
    turn_credential_ttl_s: int = 4 * 3600
    # A queued citizen whose kiosk has not asked for the call's state for this long has
    # left; an official whose desk has not polled for this long is away (tab closed).
    call_kiosk_gone_after_s: int = 30
    desk_gone_after_s: int = 20
    # An active call whose official's desk has been silent this long ends as official_left
    # (the citizen was told at once, and waited this long for the official to resume).
    call_official_gone_end_after_s: int = 120
    # Largest document an official may show, and largest scanned page.
    max_call_document_bytes: int = 20 * 1024 * 1024

    @property
    def outbound_hosts(self) -> list[str]:
        return [h.strip() for h in self.outbound_allowed_hosts.split(",") if h.strip()]
