"""`voicebot serve`: the web application (staff console under /admin, health check; later the phone gateway)."""

from __future__ import annotations

import os

import click

from booking.clinic import load_clinic
from booking.errors import NotConfigured
from voicebot.cli import Env, command, load_clinic_or_fail
from voicebot.settings import SAMPLE_CLINIC

SECRET_ENV = "VOICEBOT_SECRET_KEY"
"""Signs the console's session cookies; without it a random key is drawn and logins end at each restart."""


def register(main: click.Group) -> None:
    """Add the `serve` command."""

    @command(main, "serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
    @click.option("--clinic", "clinic_file", type=click.Path(dir_okay=False),
                  help="Apply this clinic file before serving (default: keep the stored configuration).")
    def serve(env: Env, host: str, port: int, clinic_file: str | None) -> None:
        """Serve the staff console on http://HOST:PORT/admin (stops cleanly on Ctrl-C or SIGTERM)."""
        import uvicorn

        from voicebot.server import create_app

        service = env.service()
        if clinic_file:
            report = env.apply(load_clinic_or_fail(clinic_file))
            click.echo(f"{clinic_file}: configuration version {report.version}.", err=True)
            for item in report.stranded:
                click.echo(f"  warning: appointment {item} is now outside opening hours", err=True)
        else:
            try:
                service.clinic()
            except NotConfigured:
                env.apply(load_clinic(SAMPLE_CLINIC))
                click.echo(f"No practice configured yet: applied the sample {SAMPLE_CLINIC}.", err=True)
        app = create_app(service, env.clock, secret_key=os.environ.get(SECRET_ENV) or None)
        click.echo(f"Staff console: http://{host}:{port}/admin  (create an account: voicebot staff add NAME "
                   "--role admin)", err=True)
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True, server_header=False)
