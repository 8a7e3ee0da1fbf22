"""`voicebot bench ...`: benchmarks whose results are committed under `bench/`."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from voicebot.bench.machine import describe_machine
from voicebot.commands.base import Env, command, fail


def register(main: click.Group) -> None:
    """Add the `bench` group."""

    @main.group()
    def bench() -> None:
        """Measure speed; results go to bench/ (JSON, and a PNG chart for `voice`)."""

    @command(bench, "slots")
    @click.option(
        "--appointments",
        type=click.IntRange(0),
        default=2000,
        show_default=True,
        help="Bookings seeded into the synthetic practice.",
    )
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
            service, booked = prepare(
                url, now, appointments, lambda done, total: click.echo(f"  {done}/{total} booked", err=True)
            )
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

    @bench.command("dialogue")
    @click.option(
        "--output",
        type=click.Path(dir_okay=False),
        default="bench/dialogue.json",
        show_default=True,
        help="Write the results as JSON to this file (each failure with its transcript).",
    )
    @click.option(
        "--markdown",
        type=click.Path(dir_okay=False),
        default="bench/dialogue.md",
        show_default=True,
        help="Write a short summary page to this file.",
    )
    @click.option("--only", metavar="TEXT", help="Only the scenarios whose id contains TEXT.")
    @click.option(
        "--subprocess",
        "all_subprocess",
        is_flag=True,
        help="Drive a real `voicebot chat --json` process per scenario (about a second more each).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the JSON results on stdout.")
    def dialogue(output: str, markdown: str, only: str | None, all_subprocess: bool, as_json: bool) -> None:
        """Play the conversation suite: simulated callers against the dialogue, then the database checked.

        Each scenario of tests/dialogue/scenarios/*.toml (a persona: what they want, how they talk) calls
        the bot through the code of `voicebot chat --json` on a fresh SQLite database of its practice; the
        caller answers whatever the bot asks. Then the appointment booked, moved or cancelled (or none) is
        checked: practitioner, motif, day and time window, patient. Progress on stderr; the rate per
        practice and language, the median caller turns of a one-shot booking, the worst loop and each
        failure with its transcript go to --output, a short page to --markdown. Exit 0 whatever the rate.
        """
        from voicebot.bench.dialogue import load_scenarios
        from voicebot.bench.dialogue_summary import markdown as page
        from voicebot.bench.dialogue_summary import run_suite, summarise

        began = time.monotonic()
        scenarios = [s for s in load_scenarios() if not only or only in s.id]
        if not scenarios:
            fail(f"no scenario id contains {only!r}")
            return
        results = run_suite(scenarios, lambda line: click.echo(line, err=True), all_subprocess=all_subprocess)
        summary = summarise(results, time.monotonic() - began)
        for path, text in (
            (output, json.dumps(summary, ensure_ascii=False, indent=2) + "\n"),
            (markdown, page(summary)),
        ):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
        click.echo(
            f"{summary['right']}/{summary['counted']} right ({summary['rate']:.1%}); wrote {output}, {markdown}",
            err=True,
        )
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False, indent=2))

    from voicebot.commands.bench_line import register_line

    register_line(bench)

    @bench.command("voice")
    @click.option(
        "--language",
        type=click.Choice(["fr", "en"]),
        default="fr",
        show_default=True,
        help="The sample practice and the callers' language (French is the sample practice's).",
    )
    @click.option(
        "--calls",
        type=click.IntRange(1),
        default=3,
        show_default=True,
        help="Calls per concurrency level; a level runs at least as many calls as it has at once.",
    )
    @click.option(
        "--concurrency",
        default="1,5,10,20",
        show_default=True,
        metavar="N,N,...",
        help="Concurrency levels: how many calls are in progress at once.",
    )
    @click.option(
        "--turns",
        type=click.IntRange(1, 4),
        default=3,
        show_default=True,
        help="Caller lines per call (request, slot choice, name, birth date).",
    )
    @click.option(
        "--turn-gap",
        type=click.FloatRange(0.5, 5.0),
        default=2.0,
        show_default=True,
        help="Seconds of bot silence before the caller speaks again.",
    )
    @click.option(
        "--now", metavar="ISO-8601", default="2026-11-28T10:00", show_default=True, help="The server's frozen clock."
    )
    @click.option(
        "--warm-cache",
        is_flag=True,
        help="Give the server a disk speech cache and let serve's warm-up fill it before the calls (minutes): "
        "a server up for a while. Default: no disk cache, as on a fresh install.",
    )
    @click.option(
        "--baseline",
        is_flag=True,
        help="Run each level again, with the same caller lines on the same server, on pipecat 1.14's stock parts "
        "around our dialogue: WhisperSTTService (our Whisper base files), PiperTTSService/KokoroTTSService (our "
        "voice), SileroVADAnalyzer with VADParams() and UserTurnProcessor's default turns; each loads its models "
        "per call. Each level gets `stock` (same fields) and `ratio` (stock p50, p95 and CPU per call over "
        "ours). About doubles the run time.",
    )
    @click.option("--output", type=click.Path(dir_okay=False), help="Write the results as JSON to this file.")
    @click.option("--chart", type=click.Path(dir_okay=False), help="Draw the results as a PNG chart in this file.")
    def voice(
        language: str,
        calls: int,
        concurrency: str,
        turns: int,
        turn_gap: float,
        now: str,
        warm_cache: bool,
        baseline: bool,
        output: str | None,
        chart: str | None,
    ) -> None:
        """Time simulated phone calls through the real voice pipeline, 1 to N at once.

        The server (Twilio gateway, voice pipeline, real models, the sample practice on a temporary SQLite
        database) runs in this process; the callers run in a child process and speak the Twilio media-stream
        protocol on 127.0.0.1 in real time, with lines synthesised once beforehand. Per concurrency level:
        p50/p95 of the latency a caller hears (end of their speech to the bot's first audio), the server's
        stages per turn (end-of-turn decision, recognition, dialogue, first synthesised audio), server CPU
        seconds per call and peak RSS. Progress on stderr, JSON on stdout; --output and --chart are rewritten
        after each level. Needs `voicebot models install`. A three-turn call lasts about a minute; run it on a
        quiet machine (the load average is recorded). With --baseline, each level also runs on pipecat's stock speech
        services around our dialogue, for a comparison from one run.
        """
        import asyncio

        from voicebot.bench.voice import BenchError, VoiceBenchOptions, run_voice_bench

        try:
            levels = tuple(int(part) for part in concurrency.split(",") if part.strip())
        except ValueError:
            raise click.BadParameter("comma-separated whole numbers, e.g. 1,5,10", param_hint="--concurrency") from None
        if not levels or min(levels) < 1:
            raise click.BadParameter("at least one level, each 1 or more", param_hint="--concurrency")
        options = VoiceBenchOptions(
            language=language,
            calls=calls,
            concurrency=levels,
            turns=turns,
            turn_gap=turn_gap,
            now=now,
            warm_cache=warm_cache,
            baseline=baseline,
        )

        def save(result: dict[str, object]) -> None:
            if output:
                Path(output).parent.mkdir(parents=True, exist_ok=True)
                Path(output).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            if chart:
                from voicebot.bench.chart import write_chart

                write_chart(result, chart)

        try:
            result = asyncio.run(run_voice_bench(options, lambda line: click.echo(line, err=True), save))
        except BenchError as error:
            fail(str(error))
            return
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))

    @bench.command("soak")
    @click.option(
        "--language",
        type=click.Choice(["fr", "en"]),
        default="fr",
        show_default=True,
        help="The sample practice and the callers' language.",
    )
    @click.option(
        "--concurrency", type=click.IntRange(1), default=5, show_default=True, help="Calls in progress at once."
    )
    @click.option(
        "--minutes", type=click.FloatRange(0.1), default=30.0, show_default=True, help="How long new calls are placed."
    )
    @click.option(
        "--sample-seconds",
        type=click.FloatRange(1.0),
        default=60.0,
        show_default=True,
        help="Seconds between two samples of the server's resources.",
    )
    @click.option(
        "--turns",
        type=click.IntRange(1, 4),
        default=3,
        show_default=True,
        help="Caller lines per call (request, slot choice, name, birth date).",
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False),
        help="Write the results as JSON to this file (rewritten at each sample)  [default: bench/soak-LANGUAGE.json]",
    )
    @click.option(
        "--markdown",
        type=click.Path(dir_okay=False),
        default="bench/soak.md",
        show_default=True,
        help="Write the samples and the verdicts as a page to this file.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the JSON results on stdout.")
    def soak(
        language: str,
        concurrency: int,
        minutes: float,
        sample_seconds: float,
        turns: int,
        output: str | None,
        markdown: str,
        as_json: bool,
    ) -> None:
        """Keep simulated phone calls going for a long time and check that nothing leaks.

        The server of `bench voice` (real models, the sample practice on a temporary SQLite database, the call
        log written) runs in this process; a child process keeps --concurrency simulated Twilio calls in
        progress, a new one as soon as one ends, for --minutes, then lets the last ones finish. The server is
        sampled before the first call, every --sample-seconds and at rest: resident memory, the Python heap,
        open file descriptors, asyncio tasks, threads, database connections checked out of the pool, calls in
        progress. The first third of the run is the warm-up (caches fill); each series gets a verdict (flat when
        its last third's mean under load exceeds its middle third's by no more than RSS +3 %, heap +3 %, fds +5,
        tasks +5, threads +5, connections +0; the slope per hour beside), and every call is accounted for:
        placed = ended = call-log rows. Progress on stderr at each sample; the JSON is rewritten at each sample.
        Exit 0 whatever the verdict. Needs `voicebot models install`.
        """
        import asyncio

        from voicebot.bench.soak import SoakOptions, run_soak
        from voicebot.bench.soak_report import markdown as page
        from voicebot.bench.voice import BenchError

        output = output or f"bench/soak-{language}.json"
        options = SoakOptions(
            language=language, concurrency=concurrency, minutes=minutes, sample_seconds=sample_seconds, turns=turns
        )

        def save(result: dict[str, object]) -> None:
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

        try:
            result = asyncio.run(run_soak(options, lambda line: click.echo(line, err=True), save))
        except BenchError as error:
            fail(str(error))
            return
        save(result)
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(page(result), encoding="utf-8")
        accounting = result["accounting"]
        click.echo(
            f"No leak: {result['no_leak']}; calls placed {accounting['placed']}, ended {accounting['ended']}, "
            f"call-log rows {accounting['call_log_rows']}; wrote {output}, {markdown}",
            err=True,
        )
        for problem in accounting["mismatches"]:
            click.echo(f"  {problem}", err=True)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False, indent=2))


def _default(env: Env) -> str:
    from voicebot.settings import default_db_url

    return default_db_url()
