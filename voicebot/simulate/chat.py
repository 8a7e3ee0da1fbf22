"""The text simulator core behind `voicebot chat`: one call, driven line by line, over the dialogue machine.

Caller lines (typed, from a `--script` file, or from stdin in JSON mode):

* any text: what the caller says;
* `dtmf:123`: keys pressed on the keypad;
* `silence` (or an empty line): the no-input timeout;
* `hangup`, or the end of the input: the caller hangs up (nothing half-booked is kept);
* `# ...`: a comment, skipped, in a `--script` file only; anywhere else (stdin, typed, JSON mode) a line that
  starts with `#` is what the caller says, like any other.

In JSON mode stdout carries only one JSON object per line: `{"type": "say", "text": ...}` for each bot
utterance, `{"type": "listen", "expect": ...}` whenever the bot waits for the caller (the next caller line is
then read; `expect` is what kind of answer the question wants: `dialogue.actions.ExpectKind`'s value, "yes_no",
"digits", "name", "date" or "free"; older clients ignore it),
and `{"type": "end", "outcome": ..., "reference": ...}` when the call ends (`"transfer_to"` is added for a
transfer, `"identity_failures"` when name and birth-date checks failed). Logs and errors go to stderr.

With a call log, the call is written there at its end like a phone call (channel `chat`), its transcript
pseudonymised (`voicebot.phone.call_log`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from booking.records import CallChannel, CallEntry
from dialogue.actions import Action, Expect, HangUp, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.machine import step
from dialogue.port import BookingPort
from dialogue.privacy import CallFacts, facts_of
from dialogue.state import State
from voicebot.phone.call_log import CallStart, call_entry, logged_outcome, write_call
from voicebot.phone.recording import RecordingPort

if TYPE_CHECKING:
    from booking.calls import CallLog

BOT = "bot> "
CALLER = "you> "


def parse_caller_line(line: str, *, comments: bool = True) -> Event | None:
    """One caller line as an event; `None` for a comment line ("# ...") when `comments` (a script's lines)."""
    text = line.strip()
    if comments and text.startswith("#"):
        return None
    if text.casefold().startswith("dtmf:"):
        return KeypadPressed(text[5:].strip())
    if text.casefold() in ("", "silence"):
        return NoInput()
    if text.casefold() == "hangup":
        return CallerHungUp()
    return CallerSaid(text)


class _Call:
    """What the call log needs of one simulated call, noted as it goes."""

    def __init__(self, port: BookingPort, now_fn: Callable[[], datetime], caller_id: str | None) -> None:
        self.port = RecordingPort(port)
        self.start = CallStart.now(None, CallChannel.CHAT, now_fn, caller_id)
        self.state = State()
        self.facts = CallFacts.empty()
        self.transcript: list[tuple[str, str]] = []
        self.ending: HangUp | Transfer | None = None

    def step(self, event: Event, ctx: Context) -> list[Action]:
        """One dialogue step, with what was said on both sides."""
        if isinstance(event, CallerSaid):
            self.transcript.append(("caller", event.text))
        elif isinstance(event, KeypadPressed):
            self.transcript.append(("caller", f"dtmf:{event.digits}"))
        self.state, actions = step(self.state, event, ctx)
        self.facts = self.facts.merge(facts_of(self.state))
        for action in actions:
            if isinstance(action, Say):
                self.transcript.append(("bot", action.text))
            elif isinstance(action, HangUp | Transfer):
                self.ending = action
        return actions

    def write(self, call_log: CallLog, locale: str | None) -> None:
        """Write the ended call to the call log (a failure is logged, never raised)."""

        def entry() -> CallEntry:
            return call_entry(
                self.start,
                outcome=logged_outcome(self.ending, self.port.changes, closed=False),
                state=self.state,
                port=self.port,
                transcript=self.transcript,
                facts=self.facts,
                locale=locale or self.port.clinic().practice.locale,
            )

        write_call(call_log, self.start.key, entry)


class _Printer:
    """Writes actions as JSON lines or as a readable transcript."""

    def __init__(self, out: TextIO, json_mode: bool) -> None:
        self.out = out
        self.json_mode = json_mode

    def emit(self, payload: dict[str, object]) -> None:
        self.out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        self.out.flush()

    def actions(self, actions: list[Action]) -> bool:
        """Print the actions; True once the call has ended."""
        for action in actions:
            if isinstance(action, Say):
                if self.json_mode:
                    self.emit({"type": "say", "text": action.text})
                else:
                    self.out.write(f"{BOT}{action.text}\n")
            elif isinstance(action, Expect):
                if self.json_mode:
                    self.emit({"type": "listen", "expect": action.kind.value})
            elif isinstance(action, HangUp | Transfer):
                self.end(action)
                return True
        self.out.flush()
        return False

    def end(self, action: HangUp | Transfer) -> None:
        outcome = action.outcome
        payload: dict[str, object] = {
            "type": "end",
            "outcome": outcome.kind.value,
            "reference": outcome.reference,
        }
        if isinstance(action, Transfer):
            payload["transfer_to"] = action.target
        if outcome.identity_failures:
            payload["identity_failures"] = outcome.identity_failures
        if self.json_mode:
            self.emit(payload)
        else:
            extra = f" (reference {outcome.reference})" if outcome.reference else ""
            if outcome.identity_failures:
                extra += f" ({outcome.identity_failures} failed identity checks)"
            target = f" -> {action.target}" if isinstance(action, Transfer) else ""
            self.out.write(f"[call ended: {outcome.kind.value}{extra}{target}]\n")
            self.out.flush()


def run_chat(
    port: BookingPort,
    *,
    locale: str | None = None,
    caller_id: str | None = None,
    now_fn: Callable[[], datetime],
    lines: Iterator[str] | None = None,
    json_mode: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    inp: TextIO | None = None,
    call_log: CallLog | None = None,
    comments: bool | None = None,
) -> int:
    """Run one simulated call until it ends; return the process exit status.

    Args:
        port: The booking service (or any `BookingPort`), already configured with a clinic.
        locale: "fr" or "en"; `None` = the practice's language.
        caller_id: The caller's number in E.164, or `None` for a withheld number.
        now_fn: Returns the current aware time; called before each step (pass a constant for `--now`).
        lines: Caller lines (a `--script` file's lines, or stdin in JSON mode); `None` reads `inp` line by
            line, prompting with "you> " when `inp` is a terminal and not in JSON mode.
        json_mode: Write one JSON object per line on `out` and nothing else.
        out: Where the bot's side goes (stdout).
        err: Where logs and errors go (stderr).
        inp: Where caller lines are read from when `lines` is `None` (default: stdin).
        call_log: Where the call is written once it ended (`None`: nowhere).
        comments: Whether lines starting with `#` are comments, skipped (`--script` files); `None`: for `lines`
            outside JSON mode only. Otherwise every line read is the caller's.

    Returns:
        0 when the call ended normally (including the caller hanging up or the input ending),
        1 on an unexpected error (reported on `err`; in JSON mode an `end` object with outcome "error").
    """
    source = inp if inp is not None else sys.stdin
    interactive = lines is None and not json_mode and source.isatty()
    feed = lines if lines is not None else iter(source.readline, "")
    printer = _Printer(out, json_mode)
    echo = lines is not None and not json_mode
    skip_comments = echo if comments is None else comments
    call = _Call(port, now_fn, caller_id)
    try:
        ctx = Context.create(call.port, now_fn(), locale)
        actions = call.step(CallStarted(caller_id), ctx)
        while not printer.actions(actions):
            event: Event | None = None
            while event is None:
                if interactive:
                    out.write(CALLER)
                    out.flush()
                line = next(feed, None)
                if line is None:
                    event = CallerHungUp()
                    break
                event = parse_caller_line(line.rstrip("\r\n"), comments=skip_comments)
                if event is not None and echo:
                    out.write(f"{CALLER}{line.strip()}\n")
            actions = call.step(event, ctx.at(now_fn()))
    except Exception as error:  # the simulator reports any failure instead of a traceback on stdout
        err.write(f"voicebot chat: {type(error).__name__}: {error}\n")
        if json_mode:
            printer.emit({"type": "end", "outcome": "error", "reference": None})
        return 1
    finally:
        if call_log is not None:
            call.write(call_log, locale)
    return 0
