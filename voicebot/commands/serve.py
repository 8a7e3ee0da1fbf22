"""`voicebot serve`: the web application (staff console under /admin, health check, metrics, Twilio gateway) and the SIP
server, in one event loop; put together by `voicebot.app`.
"""

from __future__ import annotations

import click

from booking.clinic import load_clinic
from booking.errors import NotConfigured
from voicebot.commands.base import Env, command, load_clinic_or_fail
from voicebot.settings import SAMPLE_CLINIC, forwarded_allow_ips, metrics_allow_ips, sip_settings, worker_id


def register(main: click.Group) -> None:
    """Add the `serve` command."""

    @command(main, "serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
    @click.option(
        "--clinic",
        "clinic_file",
        type=click.Path(dir_okay=False),
        help="Apply this clinic file before serving (default: keep the stored configuration).",
    )
    @click.option(
        "--voice/--no-voice",
        default=True,
        show_default=True,
        help="Answer Twilio and SIP calls with the voice pipeline (loads the speech models at "
        "start-up); without it, calls hear beeps.",
    )
    @click.option(
        "--drain-seconds",
        type=click.FloatRange(0, 3600),
        default=20.0,
        show_default=True,
        help="On SIGTERM, how long calls in progress may go on before they hear a short goodbye and "
        "are hung up (new calls are refused politely meanwhile).",
    )
    @click.option(
        "--sip-host",
        default="127.0.0.1",
        show_default=True,
        help="Address the SIP server listens on (UDP). Other than loopback, it needs --sip-allow or "
        "VOICEBOT_SIP_USER/VOICEBOT_SIP_PASSWORD.",
    )
    @click.option(
        "--sip-port",
        type=click.IntRange(0, 65535),
        default=5060,
        show_default=True,
        help="UDP port of the SIP server; 0 turns SIP off.",
    )
    @click.option(
        "--sip-max-calls",
        type=click.IntRange(1, 1000),
        default=10,
        show_default=True,
        help="Simultaneous SIP calls; one more is answered 486 Busy Here.",
    )
    @click.option(
        "--sip-invite-rate",
        type=click.FloatRange(0.1, 1000),
        default=5.0,
        show_default=True,
        help="New SIP calls per second accepted from one address (more get 503). Behind a SIP proxy such as "
        "Kamailio every call comes from the proxy's address: raise it (e.g. 50).",
    )
    @click.option(
        "--sip-allow",
        "sip_allow",
        multiple=True,
        metavar="CIDR",
        help="A network SIP calls may come from (repeatable; default: loopback only).",
    )
    @click.option(
        "--forwarded-allow-ips",
        "forwarded_ips",
        metavar="LIST",
        help="Behind a reverse proxy (nginx, Caddy...): its addresses or networks, comma-separated "
        "(e.g. 127.0.0.1 or 10.0.0.0/8). Only requests coming from them may name the real client in "
        "X-Forwarded-For, which the console's login limits and the log then use. Default: none, "
        "forwarded headers are ignored (env VOICEBOT_FORWARDED_ALLOW_IPS).",
    )
    @click.option(
        "--metrics-allow-ips",
        "metrics_ips",
        metavar="LIST",
        help="Who may read /metrics (Prometheus' format, no login) besides this machine: addresses or networks, "
        "comma-separated (e.g. the Prometheus server's). Others get 403; so does a request forwarded by a proxy, "
        "unless its client is listed. Default: loopback only (env VOICEBOT_METRICS_ALLOW_IPS).",
    )
    @click.option(
        "--worker-id",
        "worker_id_option",
        metavar="NAME",
        help="This server's name among several, shown on /metrics and /healthz (letters, digits, .-_:). "
        "Default: HOSTNAME-PID (env VOICEBOT_WORKER_ID).",
    )
    @click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning"]),
        default="info",
        show_default=True,
        help="Detail of the log on stderr; debug adds the voice pipeline's frames and what callers said.",
    )
    def serve(
        env: Env,
        host: str,
        port: int,
        clinic_file: str | None,
        voice: bool,
        drain_seconds: float,
        sip_host: str,
        sip_port: int,
        sip_max_calls: int,
        sip_invite_rate: float,
        sip_allow: tuple[str, ...],
        forwarded_ips: str | None,
        metrics_ips: str | None,
        worker_id_option: str | None,
        log_level: str,
    ) -> None:
        """Serve the staff console on http://HOST:PORT/admin, the Twilio gateway when configured, and the SIP
        server on udp SIP-HOST:SIP-PORT.

        SIGTERM drains: new Twilio calls hear "please call back later", new SIP calls get 503 (a SIP proxy
        tries another worker), calls in progress go on for --drain-seconds, then hear a goodbye and are hung
        up (at most ~20 s more); then the server exits 0. Ctrl-C, or a second SIGTERM, stops at once.
        """
        from voicebot.app import build_server, run_server, show_our_logs
        from voicebot.metrics import Metrics

        # bad values stop here, before the models
        sip = sip_settings(sip_host, sip_port, sip_max_calls, sip_allow, invite_rate=sip_invite_rate)
        proxies = forwarded_allow_ips(forwarded_ips)
        metrics = Metrics(worker_id(worker_id_option), allow=metrics_allow_ips(metrics_ips))
        show_our_logs(log_level)
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
        server = build_server(service, env.clock, host=host, port=port, voice=voice, sip=sip, metrics=metrics)
        run_server(server, host=host, port=port, drain_seconds=drain_seconds, forwarded_allow_ips=proxies)
