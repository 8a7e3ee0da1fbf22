"""Fuzzing every database command of the CLI from its declared options (issue 13): whatever is typed, the command
answers with a sentence and exit 1 or 2, never a traceback, and the bookings survive.

The command tree is walked from `voicebot.cli.main`, so a new command is fuzzed as soon as it is registered; the
commands that start servers, place calls, load speech models or run benchmarks are listed in `SKIPPED` instead.
Each command runs in-process (`CliRunner`) on its own copy of one database holding the sample practice, two
appointments, a request, a call and a staff account.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from booking.service import BookingService
from booking.staff import StaffStore
from tests.booking.service_helpers import sample_service
from tests.conftest import NOW
from tests.console.conftest import FAST, PASSWORD
from tests.voicebot.cli_values import CLI_NOW, NOWS, PASSWORDS, SCRIPT_LINES, pool, prepare, values_for
from tests.voicebot.db_consistency import assert_consistent, seed
from voicebot.cli import main
from voicebot.console.passwords import hash_password

EXAMPLES = 40
"""Argument lists tried per command: about a second each, the whole file well under a minute."""

SKIPPED = {
    "serve": "starts the web server and the phone lines, and loads the speech models",
    "call": "places a call on the simulated Twilio line, with the speech models",
    "softphone": "starts a SIP softphone with a microphone and a speaker",
    "bench": "every `bench` command: timed benchmarks and conversation suites (speech models, minutes each)",
    "models": "lists the speech models' files in the model cache; never touches the database",
    "models fetch": "downloads a model from Hugging Face",
    "models install": "downloads every model and voice (Hugging Face, npm)",
}
"""Commands (a group's name covers all of its sub-commands) that are not fuzzed here, and why. `chat` is fuzzed,
always with `--script`: without it, it reads the caller's lines from the terminal."""

FORCED = {"chat": ("script",)}
"""Options always given to a command, whatever else is drawn."""


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command under `group`, by its full name ("appointments book"); a group that runs by itself too."""
    for name, command in sorted(group.commands.items()):
        full = (*path, name)
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                yield " ".join(full), command
            yield from walk(command, full)
        else:
            yield " ".join(full), command


def skipped(name: str) -> bool:
    """Whether the command `name` or a group above it is in `SKIPPED`."""
    words = name.split()
    return any(" ".join(words[: i + 1]) in SKIPPED for i in range(len(words)))


COMMANDS = dict(walk(main))
FUZZED = sorted(name for name in COMMANDS if not skipped(name))


@st.composite
def arguments(draw: st.DrawFn, name: str, references: tuple[str, ...]) -> list[str]:
    """One command line for `name` (after its name, before `--db`): a clean one, every required option there with
    a valid-looking value, or a dirty one, with junk values, missing and repeated options, surplus words.
    """
    command = COMMANDS[name]
    forced = FORCED.get(name, ())
    dirty = draw(st.booleans())
    chunks: list[list[str]] = []
    for param in command.params:
        if param.name in ("db", "now") or getattr(param, "hidden", False):
            continue
        values = values_for(param, references)
        if isinstance(param, click.Argument):
            if not dirty or draw(st.sampled_from([True, True, False])):
                chunks.append([values.draw(draw, dirty)])
            continue
        assert isinstance(param, click.Option)
        option = param.opts[0]
        if param.is_flag:
            if draw(st.booleans()):
                chunks.append([f"{option}=maybe" if dirty and draw(st.booleans()) else option])
            continue
        if param.name in forced or (param.required and not dirty) or draw(st.booleans()):
            for _ in range(draw(st.integers(1, 3 if param.multiple or dirty else 1))):  # repeated: the last one wins
                chunks.append([option, values.draw(draw, dirty)])
    extra = draw(pool(*(["--bogus"], ["surplus"], ["--db"]))) if dirty and draw(st.booleans()) else []
    ordered = draw(st.permutations(chunks)) if chunks else []
    return [word for chunk in ordered for word in chunk] + extra + ["--now", NOWS.draw(draw, dirty)]


# -- the test ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A database file prepared once for the whole module, copied for each command."""

    path: Path
    references: tuple[str, ...]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("template") / "voicebot.db"
    service = sample_service(f"sqlite:///{path}", NOW)
    references = seed(service, NOW)
    StaffStore(service.engine).add("alice", "admin", hash_password(PASSWORD, FAST), NOW)
    service.engine.dispose()
    return Template(path, tuple(references))


def test_the_walk_finds_every_command_and_each_skip_is_real() -> None:
    assert {"appointments book", "slots", "clinic apply", "privacy erase", "staff add", "chat"} <= set(FUZZED)
    assert all(name in COMMANDS or any(c.startswith(name + " ") for c in COMMANDS) for name in SKIPPED), (
        "a command listed in SKIPPED does not exist any more"
    )
    assert not set(FUZZED) & {"serve", "call", "softphone", "bench slots", "models fetch"}


@pytest.mark.slow
@pytest.mark.parametrize("name", FUZZED)
def test_any_command_line_gets_an_answer_not_a_traceback(
    name: str, template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in [v for v in os.environ if v.startswith("VOICEBOT_")]:
        monkeypatch.delenv(variable)
    database = tmp_path / "voicebot.db"
    shutil.copy(template.path, database)
    url = f"sqlite:///{database}"
    folder = tmp_path / "work"
    prepare(folder)
    monkeypatch.chdir(folder)
    runner = CliRunner()
    script = folder / "script.txt"

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        args=arguments(name, template.references),
        stdin=PASSWORDS,
        lines=st.lists(SCRIPT_LINES, max_size=12),
    )
    def run(args: list[str], stdin: str, lines: list[str]) -> None:
        script.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
        argv = [*name.split(), *args, "--db", url]
        note(f"argv: {argv!r}")
        result = runner.invoke(main, argv, input=stdin.encode("utf-8", "surrogateescape"))
        note(f"exit {result.exit_code}: {result.output[-3000:]}")
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert result.exit_code in (0, 1, 2)
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            assert result.stderr.strip(), "a refusal without a word"

    run()
    engine = BookingService.open(url).engine
    try:
        assert_consistent(engine, list(template.references))
    finally:
        engine.dispose()


# -- what the fuzzing found, kept as plain examples -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "stdin", "code", "message"),
    [
        (["requests", "done", "9" * 20], "", 2, "is not in the range 1<=x<=2147483647"),
        (["calls", "show", "9" * 20], "", 2, "is not in the range 1<=x<=2147483647"),
        (["chat", "--script", "latin1.toml"], "", 1, "latin1.toml: the script is not UTF-8 text (byte 28"),
        (["staff", "remove", "al\udcffce"], "", 1, "'USERNAME' is not UTF-8 text: \"al\\xffce\""),
        (["staff", "add", "bob", "--role", "admin"], "abc\udcffdefgh\n", 1, "the password is not UTF-8 text"),
        (["clinic", "validate", "clinic\udcff.toml"], "", 1, "'FILE' is not UTF-8 text"),
    ],
)
def test_what_the_fuzzing_found_gets_a_sentence(
    argv: list[str],
    stdin: str,
    code: int,
    message: str,
    template: Template,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = tmp_path / "voicebot.db"
    shutil.copy(template.path, database)
    prepare(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    result = CliRunner().invoke(
        main, [*argv, "--db", f"sqlite:///{database}", "--now", CLI_NOW], input=stdin.encode("utf-8", "surrogateescape")
    )
    assert (result.exit_code, result.exception.__class__) == (code, SystemExit), result.exc_info
    assert message in result.stderr
