"""The simulated carrier's audio side: the bot's turns cut from what was played, phone-band conversions, the
stereo recording, and the speech models of the simulated caller (Kokoro, or Asterisk's human recordings: see
`voicebot.simulate.caller_voice`) and of its ear (Whisper), loaded by `load_caller_speech` for `voicebot call` and
`voicebot softphone`.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from typing import Protocol, TextIO

import numpy as np

from telephony.g711 import FRAME_BYTES, PHONE_RATE, ULAW_SILENCE, rms, ulaw_decode, ulaw_encode
from voicebot.simulate.caller_voice import (
    RANKED_VOICES,
    CallerVoice,
    VoiceSpec,
    VoiceTurns,
    Voicing,
    default_voice,
    parse_voices,
)
from voicebot.simulate.human_speech import NoRecording

TRANSCRIBE_RATE = 16_000


class Transcriber(Protocol):
    """Speech to text for the bot's side."""

    def transcribe(self, pcm16k: bytes) -> str:
        """Mono int16 PCM at 16 kHz to text ("" when nothing was understood)."""
        ...


class Voice(Protocol):
    """Text to speech for the caller's side."""

    def speak(self, text: str) -> tuple[bytes, int]:
        """`text` as mono int16 PCM and its sample rate."""
        ...


class BotTurns:
    """Cuts the bot's played audio into turns: a turn ends after `gap_frames` quiet 20 ms frames.

    Args:
        gap_frames: Quiet frames that end a turn (50 = 1 s).
        threshold: RMS level (0..1 of full scale) above which a frame is speech.
    """

    def __init__(self, gap_frames: int = 50, threshold: float = 0.01) -> None:
        self.gap_frames = gap_frames
        self.threshold = threshold
        self._audio = bytearray()
        self._quiet = 0

    @property
    def speaking(self) -> bool:
        """Whether a turn is under way."""
        return bool(self._audio)

    def feed(self, played: bytes) -> bytes | None:
        """One tick of played audio (mu-law, maybe empty); the turn's audio when this tick ended one."""
        voiced = rms(played) > self.threshold
        if voiced:
            self._quiet = 0
            self._audio += played
        elif self._audio:
            self._quiet += 1
            self._audio += played.ljust(FRAME_BYTES, bytes([ULAW_SILENCE]))
            if self._quiet >= self.gap_frames:
                return self.flush()
        return None

    def flush(self) -> bytes | None:
        """End the turn under way (the call ended); its audio without the trailing pause."""
        if not self._audio:
            return None
        turn = bytes(self._audio[: len(self._audio) - self._quiet * FRAME_BYTES])
        self._audio.clear()
        self._quiet = 0
        return turn


def to_phone(pcm: bytes, rate: int) -> bytes:
    """int16 PCM at any rate to 8 kHz mu-law."""
    from voicebot.speech.audio import resample_bytes

    return ulaw_encode(resample_bytes(pcm, rate, PHONE_RATE))


def from_phone(ulaw: bytes, rate: int = TRANSCRIBE_RATE) -> bytes:
    """8 kHz mu-law to int16 PCM at `rate`."""
    from voicebot.speech.audio import resample_bytes

    return resample_bytes(ulaw_decode(ulaw), PHONE_RATE, rate)


def write_recording(path: str | Path, caller: bytes, bot: bytes) -> None:
    """Both sides as an 8 kHz stereo WAV: the caller left, the bot right."""
    size = max(len(caller), len(bot))
    silence = bytes([ULAW_SILENCE])
    left = np.frombuffer(ulaw_decode(caller.ljust(size, silence)), dtype="<i2")
    right = np.frombuffer(ulaw_decode(bot.ljust(size, silence)), dtype="<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(PHONE_RATE)
        writer.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())


CALLER_VOICES = {language: ranked[0] for language, ranked in RANKED_VOICES.items()}
"""The best Kokoro voice for the simulated caller per language (`RANKED_VOICES`; the agent speaks with others)."""


class WhisperTranscriber:
    """`Transcriber` over the shared Whisper recognizer of `voicebot.speech`."""

    def __init__(self, language: str) -> None:
        from voicebot.speech.stt import Recognizer

        self.language = language
        # A bot turn (greeting, notice and question) runs past the 100 tokens a caller's turn is capped at
        self.recognizer = Recognizer(max_new_tokens=224)

    def transcribe(self, pcm16k: bytes) -> str:
        """Whisper's text for one bot turn."""
        return self.recognizer.transcribe(pcm16k, self.language).text


class KokoroVoice:
    """`Voice` over a Kokoro voice of `voicebot.speech` (the caller's), at any speed.

    Args:
        voice: A Kokoro voice ("ff_siwis").
        language: `fr` or `en`.
        speed: The speaking rate when `speak` is given none.
        blend: Another voice mixed in, with its weight (a new speaker).
    """

    def __init__(
        self, voice: str, language: str, *, speed: float = 1.0, blend: tuple[str, float] | None = None
    ) -> None:
        from voicebot.speech.tts import KokoroSynthesizer

        # No sentence cache in the synthesiser: it does not know the speed; lines are kept here instead
        self.synthesizer = KokoroSynthesizer(voice, language, speed=speed, blend=blend, cache_bytes=0)
        self.speed = speed
        self._said: dict[tuple[str, float], tuple[bytes, int]] = {}

    def speak(self, text: str, speed: float | None = None) -> tuple[bytes, int]:
        """The caller saying `text` at `speed` (default: the voice's)."""
        key = (text, self.speed if speed is None else speed)
        if key not in self._said:
            self.synthesizer.speed = key[1]
            chunk = self.synthesizer.synthesize(text)
            if len(self._said) >= 256:
                self._said.pop(next(iter(self._said)))
            self._said[key] = chunk.pcm, chunk.sample_rate
        return self._said[key]


class SpeechUnavailable(RuntimeError):
    """The caller's speech models cannot be loaded; the message says what to do."""


class UnknownVoice(ValueError):
    """A caller voice that the installed Kokoro voices file does not have."""


def installed_voices() -> list[str]:
    """The Kokoro voices of the installed voices file (ModelMissing when Kokoro is not installed)."""
    from voicebot.speech.models import kokoro_paths

    with np.load(kokoro_paths()[1]) as voices:
        return list(voices.files)


def caller_voice(language: str, voicing: Voicing, *, enabled: bool = True) -> CallerVoice | None:
    """The caller's voice as `voicing` says, each Kokoro speaker loaded once; None when not `enabled` and the
    recordings are not asked for (`--no-speech`: no model is loaded; `human` lines still play).

    Raises:
        UnknownVoice: A voice is not in the installed voices file.
    """
    if not enabled:
        return CallerVoice({}, None, language, human=True) if voicing.human else None
    installed = installed_voices()
    named = [name for v in voicing.voices for name in (v.name, *(v.blend[:1] if v.blend else ()))]
    unknown = [name for name in named if name not in installed]
    if unknown:
        have = ", ".join(sorted(installed))
        raise UnknownVoice(f"no Kokoro voice {', '.join(unknown)} (installed: {have}; or human)")
    voices = voicing.voices or (VoiceSpec(default_voice(language, installed)),)
    speakers = {v: KokoroVoice(v.name, language, speed=voicing.speed.low, blend=v.blend) for v in voices}
    turns = VoiceTurns(voices, voicing.speed, voicing.seed)
    return CallerVoice(speakers, turns, language, human=voicing.human)


def load_caller_speech(
    language: str,
    voice: Voicing | str | None = None,
    *,
    enabled: bool = True,
    err: TextIO | None = None,
) -> tuple[Transcriber | None, Voice | None]:
    """The simulated caller's ear (Whisper) and voice in `language`; no model when not `enabled`.

    Args:
        language: `fr` or `en`.
        voice: The caller's voices and speeds (`voicebot.simulate.caller_voice.Voicing`), or a `--caller-voice`
            text; default: the most natural voice installed (`RANKED_VOICES`).
        enabled: `False` for `--no-speech`: no model is loaded (`(None, None)`, or the Asterisk recordings alone
            when `human` was asked for).
        err: Where "Loading the speech models..." is written (default: stderr).

    Raises:
        SpeechUnavailable: A model or the recordings are missing, or a voice does not exist.
    """
    if isinstance(voice, str) or voice is None:
        voices, human = parse_voices(voice)
        voice = Voicing(voices, human)
    if not enabled:
        try:
            return None, caller_voice(language, voice, enabled=False)
        except NoRecording as error:
            raise SpeechUnavailable(str(error)) from error
    stream = err or sys.stderr
    stream.write("Loading the speech models...\n")
    stream.flush()
    try:
        speaker = caller_voice(language, voice)  # first: a voice that does not exist fails at once
        return WhisperTranscriber(language), speaker
    except (NoRecording, UnknownVoice) as error:
        raise SpeechUnavailable(str(error)) from error
    except Exception as error:  # missing models, a voice name that does not exist...
        raise SpeechUnavailable(
            f"speech models unavailable ({type(error).__name__}: {error}); run `voicebot models install`, "
            "or call with --no-speech"
        ) from error
