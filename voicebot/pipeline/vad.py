"""Silero VAD that also tells how long the caller has been quiet inside a turn.

pipecat's VAD reports the end of speech only after `stop_secs` of silence. Meanwhile it already knows that the
voice stopped (its "stopping" state): `PhoneVADAnalyzer.silence_seconds` exposes that, so recognition can start
early on the likely end of the turn (`voicebot.pipeline.stt_service`) while the VAD is still making sure.
"""

from __future__ import annotations

from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADState


class PhoneVADAnalyzer(SileroVADAnalyzer):
    """`SileroVADAnalyzer` with `silence_seconds`."""

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
