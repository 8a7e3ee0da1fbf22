"""Silero VAD that also tells how long the caller has been quiet inside a turn.

pipecat's VAD reports the end of speech only after `stop_secs` of silence. Meanwhile it already knows that the
voice stopped (its "stopping" state): `PhoneVADAnalyzer.silence_seconds` exposes that, so recognition can start
early on the likely end of the turn (`voicebot.pipeline.stt_service`) while the VAD is still making sure.

pipecat's volume gate (`min_volume`, 0.6 by default) reads the loudness of the last 0.4 s, smoothed: a short
answer on the phone ("oui", "huit": 0.3-0.5 s) clears 0.6 for barely the 0.2 s the VAD needs to start, so
such a word was heard or not depending on where the 32 ms analysis windows fell (`voicebot bench line`: a "oui"
lost three times in a row). Phone calls gate at `PHONE_MIN_VOLUME`; the voice confidence (0.7) still keeps
line noise out.
"""

from __future__ import annotations

from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

PHONE_MIN_VOLUME = 0.3
"""The loudness a voice must reach to be speech (pipecat's default 0.6 loses short answers, see above)."""


class PhoneVADAnalyzer(SileroVADAnalyzer):
    """`SileroVADAnalyzer` with `silence_seconds`, and `end_soon` to end one pause before `stop_secs`."""

    _early_stop_frames: int | None = None
    """The current pause's stop, in analysis windows, when `end_soon` shortened it."""

    def end_soon(self, quiet: float) -> None:
        """End the current pause as the end of speech once it lasts `quiet` seconds (at once when it already
        does), instead of `stop_secs`; a voice heard again first leaves the usual stop for the next pause.
        Called from the event loop while the analysis runs in pipecat's executor: one attribute is written.
        """
        if getattr(self, "_vad_state", None) is VADState.STOPPING and self.sample_rate:
            self._early_stop_frames = max(1, round(quiet * self.sample_rate / self.num_frames_required()))

    def _run_analyzer(self, buffer: bytes) -> VADState:
        early = self._early_stop_frames
        if early is None:
            return super()._run_analyzer(buffer)
        usual = self._vad_stop_frames
        self._vad_stop_frames = min(usual, early)
        try:
            state = super()._run_analyzer(buffer)
        finally:
            self._vad_stop_frames = usual
        if state is not VADState.STOPPING:
            self._early_stop_frames = None  # ended, or the caller went on: the next pause waits as usual
        return state

    @property
    def silence_seconds(self) -> float:
        """Seconds since the voice stopped while the VAD still counts it as speaking; 0 otherwise."""
        if getattr(self, "_vad_state", None) is not VADState.STOPPING or not self.sample_rate:
            return 0.0  # before the pipeline set the rate up, or not in the pause
        return int(self._vad_stopping_count) * self.num_frames_required() / self.sample_rate

    @property
    def speaking(self) -> bool:
        """Whether the VAD hears a voice now (neither quiet nor in the pause before its end of speech)."""
        return getattr(self, "_vad_state", None) in (VADState.STARTING, VADState.SPEAKING)


def phone_vad(stop_secs: float) -> PhoneVADAnalyzer:
    """The VAD of a phone call: the end of speech after `stop_secs` of silence, short answers heard."""
    return PhoneVADAnalyzer(params=VADParams(stop_secs=stop_secs, min_volume=PHONE_MIN_VOLUME))
