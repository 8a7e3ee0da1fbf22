"""`voicebot bench ...`: benchmarks whose results are committed under `bench/`."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from voicebot.bench.machine import describe_machine
from voicebot.cli import Env, command


def register(main: click.Group) -> None:
    """Add the `bench` group."""

    @main.group()
    def bench() -> None:
        """Measure speed; results go to bench/ (JSON)."""

    @command(bench, "slots")
    @click.option("--appointments", type=click.IntRange(0), default=2000, show_default=True,
                  help="Bookings seeded into the synthetic practice.")
    @click.option("--runs", type=click.IntRange(1), default=200, show_default=True, help="Timed runs per query.")
    @click.option("--output", type=click.Path(dir_okay=False), help="Write the results as JSON to this file.")
    def slots(env: Env, appointments: int, runs: int, output: str | None) -> None:
        """Time slot searches on a 10-practitioner practice with 2,000 bookings (90-day horizon).

        Uses a fresh temporary SQLite database unless --db is given (it must be empty).
        """
        from voicebot.bench.slots import prepare, run

        now = env.clock.frozen or datetime(2026, 11, 30, 8, 0)
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo("Europe/Paris"))
        with tempfile.TemporaryDirectory() as folder:
            url = env.url if env.url != _default(env) else f"sqlite:///{Path(folder) / 'bench.db'}"
            click.echo(f"Preparing the practice and {appointments} bookings on {url.split('@')[-1]}…", err=True)
            service, booked = prepare(url, now, appointments,
                                      lambda done, total: click.echo(f"  {done}/{total} booked", err=True))
            click.echo(f"Timing {runs} runs of each query…", err=True)
            timings = run(service, now, runs)
            service.engine.dispose()
        result = {
            "benchmark": "slots",
            "database": url.split(":")[0].split("+")[0],
            "practitioners": 10,
            "horizon_days": 90,
            "appointments": booked,
            "now": now.isoformat(),
            "machine": describe_machine(),
            "results": [t.summary() for t in timings],
        }
        text = json.dumps(result, ensure_ascii=False, indent=2)
        if output:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(text)


def _default(env: Env) -> str:
    from voicebot.settings import default_db_url

    return default_db_url()
