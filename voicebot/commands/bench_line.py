"""`voicebot bench line`: the conversation suite over the phone line (`voicebot.bench.line`)."""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from voicebot.commands.base import fail

if TYPE_CHECKING:
    from voicebot.bench.line import LineResult


def register_line(bench: click.Group) -> None:
    """Add `bench line` to the `bench` group."""

    @bench.command("line")
    @click.option(
        "--voice",
        "voices",
        multiple=True,
        metavar="[LANG:]VOICE",
        help="Caller voice (repeatable: each scenario with each voice of its language). A native voice "
        "(ff_… French, af_…/bf_… English) goes to its language, another (pm_alex) to every language unless "
        "written fr:pm_alex. Default: bench/line-scenarios.toml's (ff_siwis and pm_alex, af_heart).",
    )
    @click.option("--only", metavar="TEXT", help="Only the scenarios whose id contains TEXT.")
    @click.option(
        "--practice",
        "practices",
        multiple=True,
        metavar="NAME",
        help="Only this practice's scenarios (parc, tilleuls, riverside, harbour; repeatable).",
    )
    @click.option("--limit", type=click.IntRange(1), metavar="N", help="At most N scenarios per practice.")
    @click.option(
        "--all-scenarios",
        "every",
        is_flag=True,
        help="Every scenario of tests/dialogue/scenarios, not only those bench/line-scenarios.toml lists.",
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False),
        default="bench/line.json",
        show_default=True,
        help="Write the results as JSON (every call with its transcript), rewritten after each call.",
    )
    @click.option(
        "--markdown",
        type=click.Path(dir_okay=False),
        default="bench/line.md",
        show_default=True,
        help="Write a short summary page, rewritten after each call.",
    )
    @click.option(
        "--keep",
        type=click.Path(file_okay=False),
        help="Keep each call's server log, caller log and two-sided recording (WAV) in this folder.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the JSON results on stdout at the end.")
    def line(
        voices: tuple[str, ...],
        only: str | None,
        practices: tuple[str, ...],
        limit: int | None,
        every: bool,
        output: str,
        markdown: str,
        keep: str | None,
        as_json: bool,
    ) -> None:
        """Play the conversation suite over the phone line: one `voicebot serve` and one `voicebot call --json`
        per scenario and caller voice, then the database checked.

        Each call runs on a fresh SQLite database of its scenario (tests/dialogue/scenarios/*.toml) with a
        server at the scenario's frozen time on free ports of 127.0.0.1; the caller (the reactive patient of
        `voicebot bench dialogue`) hears the bot through Whisper and speaks with a Kokoro voice, in real time.
        A call ends by itself after 20 caller turns or 7 minutes. Progress on stderr, one line per call: a
        French call takes one to three minutes, the whole suite hours. Per language × voice (× practice):
        the rate booked right, the median caller turns, the worst loop, the calls above 12 caller turns; each
        call's transcript in --output. Needs `voicebot models install`. Exit 0 whatever the rate.
        """
        from voicebot.bench.line import LineError, run_line
        from voicebot.bench.line_plan import SelectionError, calls_for
        from voicebot.bench.line_summary import markdown as page
        from voicebot.bench.line_summary import summarise
        from voicebot.bench.machine import describe_machine

        try:
            calls = calls_for(only=only, practices=practices, limit=limit, every=every, voices=voices)
        except SelectionError as error:
            fail(str(error))
            return
        if not calls:
            fail("no call to place: check --only, --practice and --voice")
            return
        began = time.monotonic()
        machine = describe_machine()

        def save(results: list[LineResult], *, complete: bool = False) -> dict[str, Any]:
            summary = summarise(results, seconds=time.monotonic() - began, complete=complete, machine=machine)
            for path, text in (
                (output, json.dumps(summary, ensure_ascii=False, indent=2) + "\n"),
                (markdown, page(summary, output)),
            ):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).write_text(text, encoding="utf-8")
            return summary

        click.echo(f"{len(calls)} calls to place; results in {output} and {markdown} after each.", err=True)
        with contextlib.nullcontext(keep) if keep else tempfile.TemporaryDirectory(prefix="voicebot-line-") as folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            try:
                results = run_line(
                    calls, Path(folder), lambda text: click.echo(text, err=True), lambda r: save(r) and None
                )
            except LineError as error:
                fail(str(error))
                return
        summary = save(results, complete=True)
        for voice in summary["by_voice"]:
            click.echo(
                f"{voice['language']} {voice['voice']}: {voice['right']}/{voice['calls']} right ({voice['rate']:.0%}),"
                f" median {voice['median_turns']} caller turns, {len(voice['above_max_turns'])} above 12",
                err=True,
            )
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
