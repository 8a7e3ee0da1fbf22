"""What every command shares: the database and clock (`Env`), the `command` decorator with `--db` and `--now`,
and the ways a command answers (`emit_json` for programs, `fail` for people).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from booking.clinic import Clinic, load_clinic
from booking.db import migrate, open_engine
from booking.errors import BookingError, ClinicFileError, NotConfigured
from booking.service import BookingService
from booking.store import ApplyReport, apply_clinic
from voicebot.settings import BadSetting, Clock, db_url
from voicebot.sms_texts import SmsTexts

F = TypeVar("F", bound=Callable[..., Any])

EARLIEST_DAY = date(1900, 1, 1)
"""The first day a date on the command line may name (`--now`, `--from`, `--until`, `--start`)."""
LATEST_DAY = date(2999, 12, 31)
"""The last: far beyond any appointment, yet every time computed from it (a horizon ahead) is still a real time."""
RECORD_ID = click.IntRange(1, 2**31 - 1)
"""A record's number on the command line (a request, a call): what the databases' integer keys can hold, so that a
number too big for them is refused with a sentence instead of overflowing the database driver."""


class Env:
    """What every command gets: the database URL and the clock, from options or the environment."""

    def __init__(self, db: str | None, now: str | None) -> None:
        self.url = db_url(db)
        self.clock = Clock.from_option(now)
        if self.clock.frozen is not None:
            check_calendar(self.clock.frozen.date(), "--now", BadSetting)
        self._service: BookingService | None = None

    def service(self) -> BookingService:
        """The booking service on the chosen database (migrated on first use), writing the patients' texts
        (`SmsTexts`; the clinic file's `[sms]` decides whether any is sent).
        """
        if self._service is None:
            engine = open_engine(self.url)
            migrate(engine)
            self._service = BookingService(engine, texts=SmsTexts())
        return self._service

    def now(self) -> Any:
        """Now in the practice's zone when one is configured."""
        try:
            zone = self.service().clinic().practice.zone
        except NotConfigured:
            zone = None
        return self.clock.now(zone)

    def apply(self, clinic: Clinic) -> ApplyReport:
        """Apply a clinic configuration to the database."""
        return apply_clinic(self.service().engine, clinic, self.clock.now(clinic.practice.zone))


def check_calendar(day: date, option: str, error: type[Exception] = BookingError) -> None:
    """Refuse, with a sentence, a day outside the calendar the command line works in (`EARLIEST_DAY`...)."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise error(
            f"{option} {day.isoformat()}: that date is out of range "
            f"(voicebot works with dates from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})"
        )


def command(group: click.Group, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Declare a sub-command with the shared `--db` and `--now` options and friendly error handling."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, db: str | None, now: str | None, **options: Any) -> Any:
            try:
                check_text({"db": db, "now": now, **options})
                env = Env(db, now)
                return function(env, *args, **options)
            except ClinicFileError as error:
                fail(str(error))
            except (BookingError, BadSetting) as error:
                fail(str(error))
            except SQLAlchemyError as error:
                fail(f"database problem ({db_url(db)}): {error.__class__.__name__}: {str(error).splitlines()[0]}")
            except OSError as error:
                fail(f"{error.strerror or error}: {error.filename or ''} (database {db_url(db)})")

        run = click.option("--now", metavar="ISO-8601", help="Freeze the clock at this time (env VOICEBOT_NOW).")(run)
        run = click.option(
            "--db",
            metavar="URL",
            help="SQLAlchemy database URL (env VOICEBOT_DB; default: a SQLite file in the user data directory).",
        )(run)
        return group.command(name, **kwargs)(run)  # type: ignore[return-value]

    return decorate


def check_text(values: dict[str, Any]) -> None:
    """Refuse, with a sentence, an option or argument holding bytes that are not UTF-8 (Python reads them as lone
    surrogates, which no database, file or terminal accepts).

    Raises:
        BadSetting: Which option, and what it holds.
    """
    context = click.get_current_context()
    params = {param.name: param for param in context.command.params}
    for name, value in values.items():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str) and not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    param = params.get(name)
                    label = param.get_error_hint(context) if param is not None else name
                    shown = item.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                    raise BadSetting(
                        f'{label} is not UTF-8 text: "{shown}" holds bytes that cannot be read (check the '
                        "encoding of the terminal or of the script)"
                    ) from None


def fail(message: str, code: int = 1) -> None:
    """Print a message for people on stderr and exit non-zero."""
    click.echo(f"Error: {message}" if not message.startswith("Error") else message, err=True)
    sys.exit(code)


def emit_json(value: Any) -> None:
    """Write JSON for programs on stdout."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def load_clinic_or_fail(path: str | Path) -> Clinic:
    """Load a clinic file or exit with its problems listed."""
    try:
        return load_clinic(path)
    except ClinicFileError as error:
        fail(str(error))
        raise  # unreachable
