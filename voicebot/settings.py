"""Settings: the one place that reads the environment. Components get typed values as arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from platformdirs import user_data_dir

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
