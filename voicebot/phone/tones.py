"""The beeps that answer calls when the speech models are not loaded (`telephony`'s `ToneHandler` and
`SipToneHandler`), counted in the server's metrics like the voice pipeline's calls: outcome `tones`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from voicebot.metrics import Metrics

CallT = TypeVar("CallT", contravariant=True)

TONES_OUTCOME = "tones"
"""The outcome of a call the beeps answered (`voicebot.metrics.OUTCOMES`): they do not know how it ended."""


class Handler(Protocol[CallT]):
    """A gateway's call handler."""

    async def handle(self, call: CallT) -> None:
        """Run one call until it is over."""
        ...


class CountedTones(Generic[CallT]):
    """`handler`, each call of which is counted in `metrics` once over (however it ended).

    Args:
        handler: The beeps (`ToneHandler`, `SipToneHandler`).
        line: The line, as the metrics name it ("twilio", "sip").
        metrics: The server's metrics.
    """

    def __init__(self, handler: Handler[CallT], line: str, metrics: Metrics) -> None:
        self.handler = handler
        self.line = line
        self.metrics = metrics

    async def handle(self, call: CallT) -> None:
        """Run the call with the beeps, then count it."""
        try:
            await self.handler.handle(call)
        finally:
            self.metrics.call_ended(self.line, TONES_OUTCOME)
