"""`voicebot call` and `voicebot softphone` read "# ..." as a comment in a script file only: on stdin (typed, or
`--json`'s protocol, the same as `voicebot chat --json`) a line starting with "#" is what the caller says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from voicebot.simulate.caller_lines import CallerLine, Lines, parse_line


async def _lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


def _read_all(comments: bool, *items: str) -> list[CallerLine]:
    async def read() -> list[CallerLine]:
        reader, seen = Lines(_lines(*items), comments=comments), []
        while (await reader.peek()).kind != "hangup":
            seen.append(reader.pop())
        return seen

    return asyncio.run(read())


def test_a_hash_line_is_said_when_comments_are_off() -> None:
    assert parse_line("#5 please", comments=False) == CallerLine("say", "#5 please")
    assert parse_line("#5 please") is None  # a script file's comment
    assert _read_all(False, "#5 please", "dtmf:#") == [CallerLine("say", "#5 please"), CallerLine("dtmf", "#")]
    assert _read_all(True, "# a comment", "dtmf:#") == [CallerLine("dtmf", "#")]
