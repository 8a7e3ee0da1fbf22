"""The caller's turn as `voicebot.pipeline.turn_state` hears it: joined transcriptions and barge-in bookkeeping.

Pure helpers (no pipecat, no clock). A turn may gather several transcriptions (one per VAD segment); the turn's
alternatives change one segment at a time. Whether the caller barged in is decided per voice (VAD segment) when
it starts: the bot was speaking, or it still had a `Speak` to say (a pause between two sentences of one turn).
"""

from __future__ import annotations

from itertools import zip_longest


def join_alternatives(parts: tuple[str, ...], alternatives: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The other hypotheses of a turn joined from `parts`, best first, deduplicated, without the turn's text.

    Each hypothesis replaces one part by one of that part's own alternatives (`alternatives[i]` belongs to
    `parts[i]`, best first): first every part's best alternative, in the order of the parts, then every part's
    second, and so on. A one-part turn has its part's alternatives.

    Args:
        parts: The transcriptions of the turn, in order (stripped, not blank).
        alternatives: Each part's other hypotheses, parallel to `parts`.
    """
    text = " ".join(parts)
    joined: dict[str, None] = {}
    for rank in zip_longest(*alternatives):
        for i, alternative in enumerate(rank):
            if alternative is None or not alternative.strip():
                continue
            hypothesis = " ".join((*parts[:i], alternative.strip(), *parts[i + 1 :]))
            if hypothesis != text:
                joined.setdefault(hypothesis)
    return tuple(joined)


def after_interruption(unheard: tuple[bool, ...], bot_speaking: bool) -> tuple[bool, ...]:
    """The speech still to end once the caller's turn started (pipecat then drops interruptible speech).

    Args:
        unheard: The `interruptible` flag of each `Speak` not yet ended, oldest first.
        bot_speaking: Whether the bot is speaking the first of them: its end (cut or not) is still reported.

    Returns:
        The one being spoken, if any, then the queued ones that cannot be interrupted.
    """
    playing = unheard[:1] if bot_speaking else ()
    return (*playing, *(interruptible for interruptible in unheard[len(playing) :] if not interruptible))


def voices_after(barged: tuple[int, ...], voice: int) -> tuple[int, ...]:
    """The barged-in voices whose words may still come, once the words of `voice` arrived (they come in order)."""
    return tuple(number for number in barged if number > voice)
