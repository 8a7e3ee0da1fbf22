"""`voicebot clinic ...`: validate, apply and show the clinic configuration."""

from __future__ import annotations

import click

from booking.clinic_export import clinic_to_dict, clinic_to_toml
from voicebot.commands.base import Env, command, emit_json, load_clinic_or_fail


def register(main: click.Group) -> None:
    """Add the `clinic` group to the main command."""

    @main.group()
    def clinic() -> None:
        """Check, apply and show the clinic file (practice, practitioners, hours, motifs, closures)."""

    @command(clinic, "validate")
    @click.argument("file", type=click.Path(dir_okay=False))
    def validate(env: Env, file: str) -> None:
        """Check a clinic FILE and list every problem found (exit 1 if any)."""
        loaded = load_clinic_or_fail(file)
        click.echo(
            f"{file} is valid: {loaded.practice.name}, {len(loaded.practitioners)} practitioners, "
            f"{len(loaded.motifs)} motifs, {len(loaded.closures)} closures."
        )

    @command(clinic, "apply")
    @click.argument("file", type=click.Path(dir_okay=False))
    def apply(env: Env, file: str) -> None:
        """Validate a clinic FILE and make it the practice's configuration (safe to repeat)."""
        loaded = load_clinic_or_fail(file)
        report = env.apply(loaded)
        if not report.changed:
            click.echo(f"{file}: nothing changed (configuration version {report.version}).")
            return
        click.echo(f"{file} applied: configuration version {report.version}.")
        for item in report.added:
            click.echo(f"  added {item}")
        for item in report.removed:
            click.echo(f"  removed {item}")
        for item in report.stranded:
            click.echo(f"  warning: appointment {item} is now outside opening hours; call the patient", err=True)

    @command(clinic, "show")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    @click.option("--toml", "as_toml", is_flag=True, help="Print the configuration as a clinic file.")
    def show(env: Env, as_json: bool, as_toml: bool) -> None:
        """Show the configuration stored in the database."""
        current = env.service().clinic()
        if as_json:
            emit_json(clinic_to_dict(current))
            return
        if as_toml:
            click.echo(clinic_to_toml(current), nl=False)
            return
        practice = current.practice
        click.echo(f"{practice.name} — {practice.address} — {practice.phone}")
        click.echo(
            f"Time zone {practice.timezone}, language {practice.locale}, holidays of {practice.country}; "
            f"bookable from {practice.min_notice_minutes} min to {practice.horizon_days} days ahead."
        )
        click.echo("Motifs:")
        for motif in current.motifs:
            extra = "" if motif.new_patients else " (known patients only)"
            click.echo(f"  {motif.id:<14} {motif.label}, {motif.duration_minutes} min{extra}")
        click.echo("Practitioners:")
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        for p in current.practitioners:
            click.echo(f"  {p.id:<14} {p.title} {p.first_name} {p.last_name}, {p.specialty}: {', '.join(p.motifs)}")
            for day, ranges in sorted(p.hours.items()):
                click.echo(f"      {days[day]} {', '.join(str(r) for r in ranges)}")
        if current.closures:
            click.echo("Closures:")
            for c in current.closures:
                who = c.practitioner or "whole practice"
                click.echo(f"  {c.start:%Y-%m-%d %H:%M} → {c.end:%Y-%m-%d %H:%M} {who}: {c.label}")
