"""`voicebot chat`: the text simulator — type what the caller says, read what the bot answers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from booking.errors import NotConfigured
from voicebot.commands.base import Env, command, fail, load_clinic_or_fail
from voicebot.settings import SAMPLE_CLINIC


def ensure_practice(env: Env, clinic_file: str | None) -> None:
    """Apply `--clinic FILE` first; on an empty database, apply the bundled sample practice."""
    if clinic_file:
        env.apply(load_clinic_or_fail(clinic_file))
        return
    try:
        env.service().clinic()
    except NotConfigured:
        click.echo(
            f"No practice configured yet in {env.url}: using the sample clinic ({SAMPLE_CLINIC.name}).", err=True
        )
        env.apply(load_clinic_or_fail(SAMPLE_CLINIC))


def read_script(path: str) -> list[str]:
    """The caller's lines of a `--script` file; exit 1 with a sentence when it is not UTF-8 text."""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        fail(f"{path}: the script is not UTF-8 text (byte {error.start + 1} cannot be read); save it as UTF-8")
        raise  # unreachable


def register(main: click.Group) -> None:
    """Add the `chat` command."""

    @command(main, "chat")
    @click.option(
        "--script",
        type=click.Path(exists=True, dir_okay=False),
        help="Play the caller's lines from FILE (one turn per line; dtmf:123 = keys, silence = no input, "
        "# = a comment).",
    )
    @click.option(
        "--json",
        "json_mode",
        is_flag=True,
        help="One JSON object per line on stdout (say/listen/end); every line of stdin is the caller's.",
    )
    @click.option("--language", type=click.Choice(["fr", "en"]), help="Language (default: the practice's).")
    @click.option("--locale", "language", type=click.Choice(["fr", "en"]), hidden=True)  # the former name
    @click.option("--caller-id", metavar="E164", help="The caller's number, as the phone network would give it.")
    @click.option("--clinic", "clinic_file", type=click.Path(dir_okay=False), help="Apply this clinic file first.")
    def chat(
        env: Env,
        script: str | None,
        json_mode: bool,
        language: str | None,
        caller_id: str | None,
        clinic_file: str | None,
    ) -> None:
        """Talk to the bot in text, as a caller would (the same dialogue as on the phone).

        Without --script or --json, type what the caller says; an empty line is silence, Ctrl-D hangs up.
        The call is written to the call log (channel chat), its transcript pseudonymised.
        """
        from booking.calls import CallLog
        from voicebot.simulate.chat import run_chat

        lines = iter(read_script(script)) if script else None  # before anything is applied
        ensure_practice(env, clinic_file)
        service = env.service()
        zone = service.clinic().practice.zone
        code = run_chat(
            service,
            locale=language,
            caller_id=caller_id,
            now_fn=lambda: env.clock.now(zone),
            lines=lines,
            json_mode=json_mode,
            call_log=CallLog(service.engine),
            comments=script is not None,  # comments belong to script files; stdin lines are all the caller's
        )
        sys.exit(code)
