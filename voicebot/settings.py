"""Settings: the one place that reads the environment. Components get typed values as arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from platformdirs import user_data_dir

from telephony.sip.settings import LOOPBACK_NETWORKS, SipSettings
from telephony.twilio.settings import TwilioSettings

__all__ = [
    "LOOPBACK_NETWORKS",
    "BadSetting",
    "Clock",
    "SipSettings",
    "TwilioSettings",
    "db_url",
    "forwarded_allow_ips",
    "metrics_allow_ips",
    "sip_settings",
    "twilio_settings",
    "worker_id",
]

DATA_DIR = Path(__file__).with_name("data")
SAMPLE_CLINIC = DATA_DIR / "clinic.toml"
"""The bundled French sample practice (a copy of config/clinic.toml)."""
SAMPLE_CLINIC_EN = DATA_DIR / "clinic.en.toml"


def default_db_url() -> str:
    """A SQLite file in the user's data directory (`~/.local/share/voicebot/voicebot.db` on Linux)."""
    return f"sqlite:///{Path(user_data_dir('voicebot')) / 'voicebot.db'}"


def db_url(option: str | None) -> str:
    """The database URL: `--db`, else `VOICEBOT_DB`, else the default SQLite file."""
    return option or os.environ.get("VOICEBOT_DB") or default_db_url()


class BadSetting(ValueError):
    """A setting has a value we cannot use; the message says which and why."""


def forwarded_allow_ips(option: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The reverse proxies whose `X-Forwarded-For` names the client: `--forwarded-allow-ips`, else
    `VOICEBOT_FORWARDED_ALLOW_IPS`; comma-separated addresses or CIDR networks, returned in canonical form.
    Empty (the default): forwarded headers are ignored and the connecting address is the client's.

    Raises:
        BadSetting: An item is neither an IP address nor a network.
    """
    return _addresses(option, "--forwarded-allow-ips", "VOICEBOT_FORWARDED_ALLOW_IPS", "of a proxy", environ)


def metrics_allow_ips(option: str | None, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Who may read `/metrics` besides loopback: `--metrics-allow-ips`, else `VOICEBOT_METRICS_ALLOW_IPS`;
    comma-separated addresses or CIDR networks (e.g. the Prometheus server's), in canonical form. Empty (the
    default): only loopback clients, and only when not forwarded by a proxy (`voicebot.metrics.scrape_allowed`).

    Raises:
        BadSetting: An item is neither an IP address nor a network.
    """
    return _addresses(option, "--metrics-allow-ips", "VOICEBOT_METRICS_ALLOW_IPS", "of a scraper", environ)


def _addresses(
    option: str | None, flag: str, variable: str, whose: str, environ: Mapping[str, str] | None
) -> tuple[str, ...]:
    """The comma-separated addresses or networks of `flag`, else of the environment's `variable`."""
    import ipaddress

    env = os.environ if environ is None else environ
    source = flag if option is not None else variable
    text = option if option is not None else env.get(variable, "")
    found: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False) if "/" in item else ipaddress.ip_address(item)))
        except ValueError as err:
            raise BadSetting(
                f"{source} {item!r} is not the IP address or network (CIDR) {whose} (e.g. 127.0.0.1 or 10.0.0.0/8)"
            ) from err
    return tuple(dict.fromkeys(found))


WORKER_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:")


def worker_id(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """This server's name among several (`/metrics`, `/healthz`): `--worker-id`, else `VOICEBOT_WORKER_ID`, else
    `HOSTNAME-PID`.

    Raises:
        BadSetting: Empty, longer than 64 characters, or with characters other than letters, digits and `.-_:`.
    """
    import socket

    env = os.environ if environ is None else environ
    source = "--worker-id" if option is not None else "VOICEBOT_WORKER_ID"
    value = (option if option is not None else env.get("VOICEBOT_WORKER_ID", "")).strip()
    if option is None and not value:
        return f"{socket.gethostname()}-{os.getpid()}"
    if not value or len(value) > 64 or not set(value) <= WORKER_ID_CHARACTERS:
        raise BadSetting(f"{source} {value!r}: 1 to 64 letters, digits, dots, dashes, underscores or colons")
    return value


@dataclass(frozen=True)
class Clock:
    """Now, either real or frozen by `--now` / `VOICEBOT_NOW` (then it never moves)."""

    frozen: datetime | None = None
    """A naive frozen time is read in the practice's time zone."""

    @classmethod
    def from_option(cls, option: str | None) -> Clock:
        """Parse `--now` (or `VOICEBOT_NOW`): ISO 8601, e.g. `2026-12-01T09:00` or `2026-12-01T08:00Z`."""
        text = option or os.environ.get("VOICEBOT_NOW")
        if not text:
            return cls()
        try:
            value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as err:
            raise BadSetting(f'--now "{text}" is not an ISO 8601 date-time (e.g. 2026-12-01T09:00)') from err
        return cls(value)

    def now(self, zone: ZoneInfo | None = None) -> datetime:
        """The current time, aware (in UTC when real)."""
        if self.frozen is None:
            return datetime.now(UTC)
        if self.frozen.tzinfo is None:
            return self.frozen.replace(tzinfo=zone or UTC)
        return self.frozen


def twilio_settings(
    environ: Mapping[str, str] | None = None, *, default_public_url: str | None = None
) -> TwilioSettings | None:
    """The Twilio settings from the environment; `None` when no auth token is configured (gateway off).

    Args:
        environ: The environment (default `os.environ`).
        default_public_url: Used when `VOICEBOT_PUBLIC_URL` is unset (e.g. `http://127.0.0.1:8000` for a
            local `voicebot serve` + `voicebot call`).

    Raises:
        BadSetting: A token is configured but something else is missing or unreadable.
    """
    env = os.environ if environ is None else environ
    token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    token_file = env.get("TWILIO_AUTH_TOKEN_FILE", "").strip()
    if not token and token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip().splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError) as err:
            raise BadSetting(f"TWILIO_AUTH_TOKEN_FILE {token_file}: cannot read a token from it") from err
    if not token:
        return None
    account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip()
    if not account_sid:
        raise BadSetting("TWILIO_ACCOUNT_SID is required with a Twilio auth token")
    public = env.get("VOICEBOT_PUBLIC_URL", "").strip() or default_public_url
    if not public:
        raise BadSetting("VOICEBOT_PUBLIC_URL (the https URL Twilio calls) is required with a Twilio auth token")
    if not public.startswith(("https://", "http://")):
        raise BadSetting(f"VOICEBOT_PUBLIC_URL must start with https:// ({public!r})")
    return TwilioSettings(
        public_base_url=public.rstrip("/"),
        account_sid=account_sid,
        auth_token=token,
        api_base_url=env.get("VOICEBOT_TWILIO_API_URL", "").strip() or "https://api.twilio.com",
        staff_number=env.get("VOICEBOT_STAFF_NUMBER", "").strip() or None,
        sms_from=env.get("VOICEBOT_TWILIO_SMS_FROM", "").strip() or None,
    )


def _secret(env: Mapping[str, str], name: str) -> str:
    """`NAME`, or the first line of the file `NAME_FILE`."""
    value = env.get(name, "").strip()
    path = env.get(f"{name}_FILE", "").strip()
    if not value and path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip().splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError) as err:
            raise BadSetting(f"{name}_FILE {path}: cannot read a value from it") from err
    return value


def sip_settings(
    host: str,
    port: int,
    max_calls: int = 10,
    allow: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    *,
    invite_rate: float = 5.0,
) -> SipSettings | None:
    """The SIP gateway's settings from the options and the environment; `None` when `port` is 0 (SIP off).

    A host other than loopback needs an allow-list (`allow`) or credentials: a SIP server open to any
    network without either would answer anyone's calls.

    Raises:
        BadSetting: A network that is no CIDR, a user without a password (or the reverse), an unreadable secret
            file, or a non-loopback host with neither allow-list nor credentials.
    """
    import ipaddress

    if port == 0:
        return None
    env = os.environ if environ is None else environ
    networks = []
    for network in allow:
        try:
            networks.append(str(ipaddress.ip_network(network.strip(), strict=False)))
        except ValueError as err:
            raise BadSetting(f"--sip-allow {network!r} is not a network (e.g. 192.168.1.0/24)") from err
    user, password = _secret(env, "VOICEBOT_SIP_USER"), _secret(env, "VOICEBOT_SIP_PASSWORD")
    if bool(user) != bool(password):
        raise BadSetting("VOICEBOT_SIP_USER and VOICEBOT_SIP_PASSWORD (or their _FILE) go together")
    credentials = (user, password) if user else None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not networks and credentials is None:
        raise BadSetting(
            f"--sip-host {host} is not a loopback address: say which networks may call with "
            "--sip-allow CIDR (repeatable), or require a password (VOICEBOT_SIP_USER and "
            "VOICEBOT_SIP_PASSWORD); --sip-port 0 turns SIP off"
        )
    if not networks:
        networks = list(LOOPBACK_NETWORKS) if credentials is None else ["0.0.0.0/0", "::/0"]
    return SipSettings(
        host=host,
        port=port,
        max_calls=max_calls,
        invites_per_second=invite_rate,
        allow=tuple(networks),
        credentials=credentials,
        staff_uri=env.get("VOICEBOT_SIP_STAFF_URI", "").strip() or None,
        staff_host=env.get("VOICEBOT_SIP_STAFF_HOST", "").strip() or None,
    )


def speech_cache_settings(environ: Mapping[str, str] | None = None) -> tuple[Path, int] | None:
    """The disk cache of rendered sentences, as (directory, size bound in bytes): `VOICEBOT_SPEECH_CACHE`, a
    directory (default `~/.cache/voicebot/speech`), or "off" for none (`None`); `VOICEBOT_SPEECH_CACHE_MB`, its
    size bound in megabytes (default 256).

    Raises:
        BadSetting: The directory is an existing file, or the size is not a whole number of megabytes of at least 1.
    """
    from voicebot.speech.speech_cache import DEFAULT_MAX_BYTES, default_directory

    env = os.environ if environ is None else environ
    where = env.get("VOICEBOT_SPEECH_CACHE", "").strip()
    if where.casefold() == "off":
        return None
    directory = Path(where).expanduser().absolute() if where else default_directory()
    if directory.exists() and not directory.is_dir():
        raise BadSetting(f"VOICEBOT_SPEECH_CACHE {where!r} is a file: give a directory, or 'off' for no speech cache")
    size = env.get("VOICEBOT_SPEECH_CACHE_MB", "").strip()
    if not size:
        return directory, DEFAULT_MAX_BYTES
    if not size.isdecimal() or not 1 <= int(size) <= 1 << 20:
        raise BadSetting(
            f"VOICEBOT_SPEECH_CACHE_MB {size!r}: a whole number of megabytes from 1 to 1048576 (default 256); "
            "VOICEBOT_SPEECH_CACHE=off turns the cache off"
        )
    return directory, int(size) << 20
