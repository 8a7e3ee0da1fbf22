"""Who the simulated caller of `voicebot call` and `voicebot softphone` sounds like.

`--caller-voice` takes one voice or several, separated by commas:

* a Kokoro voice (`ff_siwis`, `pm_alex`, `af_heart`, `bm_george`), or two mixed into a new speaker,
  `ff_siwis+pm_alex:0.4` (pm_alex weighs 0.4; 0.5 when no weight is given);
* `human`: every line whose words all have a recording of Debian's Asterisk speaker (numbers, weekdays, months,
  letters: `voicebot.simulate.human_speech`) is played from those recordings; the others are spoken by the Kokoro
  voices of the list (the default voice when there is none).

Several Kokoro voices take the caller's spoken lines in turn: the first line in the first voice, the second in
the second, and round again (a line played from recordings takes no turn). Without `--caller-voice` the caller
has the most natural voice installed for the language (`RANKED_VOICES`: ff_siwis in French, af_heart in English).
`--caller-speed` is Kokoro's speaking rate, one number (0.9) or a range (0.85-1.1) from which each spoken line
draws its own, at random from `--seed` (default 0): the same options give the same call.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from voicebot.simulate.human_speech import SOUNDS, NoRecording, load_recordings, recording_groups, sounds_folder

RANKED_VOICES = {"fr": ("ff_siwis", "pm_alex"), "en": ("af_heart", "bm_george")}
"""Kokoro voices for the caller, most natural first: the first one installed is the default. pm_alex is a
Portuguese voice reading French phonemes (an accented caller), never the first choice."""
HUMAN = "human"
"""The voice name of the Asterisk recordings."""
SPEEDS = (0.5, 2.0)
"""The speaking rates accepted."""

_VOICE = re.compile(r"([a-z]{2}_[a-z0-9]+)(?:\+([a-z]{2}_[a-z0-9]+)(?::([0-9.]+))?)?$")


@dataclass(frozen=True)
class VoiceSpec:
    """One Kokoro speaker: a voice, maybe mixed with another (`blend`: the other voice and its weight)."""

    name: str
    blend: tuple[str, float] | None = None

    def __str__(self) -> str:
        return self.name if self.blend is None else f"{self.name}+{self.blend[0]}:{self.blend[1]:g}"


@dataclass(frozen=True)
class SpeedRange:
    """Kokoro's speaking rate: `low` when it equals `high`, else drawn in [low, high] per line."""

    low: float = 1.0
    high: float = 1.0


@dataclass(frozen=True)
class Voicing:
    """What `--caller-voice`, `--caller-speed` and `--seed` asked for."""

    voices: tuple[VoiceSpec, ...] = ()
    """The Kokoro voices, in turn; none: the language's default."""
    human: bool = False
    """Lines that have Asterisk recordings for every word are played from them."""
    speed: SpeedRange = field(default_factory=SpeedRange)
    seed: int = 0


def parse_voice(text: str) -> VoiceSpec:
    """One Kokoro speaker: `ff_siwis`, `ff_siwis+pm_alex` or `ff_siwis+pm_alex:0.4`; ValueError otherwise."""
    match = _VOICE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a voice (NAME, or NAME+OTHER:WEIGHT such as ff_siwis+pm_alex:0.4)")
    name, other, weight = match.groups()
    if other is None:
        return VoiceSpec(name)
    share = float(weight) if weight else 0.5
    if not 0 < share < 1:
        raise ValueError(f"the weight of {other} must be between 0 and 1, not {weight}")
    return VoiceSpec(name, (other, share))


def parse_voices(text: str | None) -> tuple[tuple[VoiceSpec, ...], bool]:
    """`--caller-voice`: the Kokoro speakers in turn, and whether `human` is among them."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    human = any(name.lower() == HUMAN for name in names)
    voices = tuple(dict.fromkeys(parse_voice(n) for n in names if n.lower() != HUMAN))
    if text is not None and not names:
        raise ValueError("no voice named")
    return voices, human


def parse_speed(text: str) -> SpeedRange:
    """`--caller-speed`: `0.9` or `0.85-1.1`, within `SPEEDS`; ValueError otherwise."""
    low_text, dash, high_text = text.strip().partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if dash else low
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a speed (a number such as 0.9, or a range: 0.85-1.1)") from None
    if not SPEEDS[0] <= low <= high <= SPEEDS[1]:
        raise ValueError(f"speeds go from {SPEEDS[0]:g} to {SPEEDS[1]:g}, the lower first (got {text.strip()})")
    return SpeedRange(low, high)


def default_voice(language: str, installed: Collection[str]) -> str:
    """The most natural caller voice of `language` among the `installed` ones (the best ranked if none is)."""
    ranked = RANKED_VOICES.get(language[:2], RANKED_VOICES["en"])
    return next((name for name in ranked if name in installed), ranked[0])


class VoiceTurns:
    """The Kokoro speaker and speed of each spoken line: the voices in turn, speeds drawn from the seed."""

    def __init__(self, voices: Sequence[VoiceSpec], speed: SpeedRange, seed: int = 0) -> None:
        if not voices:
            raise ValueError("no voice to take turns")
        self.voices = tuple(voices)
        self.speed = speed
        self._random = random.Random(seed)
        self._count = 0

    def next(self) -> tuple[VoiceSpec, float]:
        """The next line's speaker and speed."""
        voice = self.voices[self._count % len(self.voices)]
        self._count += 1
        low, high = self.speed.low, self.speed.high
        return voice, low if low == high else round(self._random.uniform(low, high), 2)


class Speaker(Protocol):
    """One Kokoro speaker (`voicebot.simulate.caller_audio.KokoroVoice`)."""

    def speak(self, text: str, speed: float | None = None) -> tuple[bytes, int]:
        """`text` as mono int16 PCM and its rate, at `speed` (None: the speaker's own)."""
        ...


class CallerVoice:
    """The simulated caller's `Voice`: Asterisk recordings when `human` and every word has one, else the Kokoro
    speakers in turn (`VoiceTurns`).

    Args:
        speakers: The loaded speaker of each voice of `turns`.
        turns: Which speaker and speed says the next spoken line; None: recordings only.
        language: `fr` or `en`.
        human: Whether recordings are used.
        sounds: The Asterisk sounds folder (`voicebot.simulate.human_speech.SOUNDS`).
    """

    def __init__(
        self,
        speakers: Mapping[VoiceSpec, Speaker],
        turns: VoiceTurns | None,
        language: str,
        *,
        human: bool = False,
        sounds: Path = SOUNDS,
    ) -> None:
        self.speakers = dict(speakers)
        self.turns = turns
        self.language = language
        self.human = human
        self.folder = sounds_folder(language, sounds) if human else None
        if human and self.folder is None:
            package = f"asterisk-core-sounds-{language}-wav"
            raise NoRecording(f"no Asterisk recordings under {sounds}: apt-get install {package}")
        self.voiced: list[str] = []
        """Who said each line: `human`, or the Kokoro voice and its speed ("ff_siwis@0.95")."""

    def speak(self, text: str) -> tuple[bytes, int]:
        """The caller saying `text`."""
        groups = recording_groups(text, self.language) if self.folder is not None else None
        if groups is not None and self.folder is not None:
            self.voiced.append(HUMAN)
            return load_recordings(groups, self.folder)
        if self.turns is None:
            raise NoRecording(f"no recording for every word of {text!r}: text lines need the speech models")
        voice, speed = self.turns.next()
        self.voiced.append(f"{voice}@{speed:g}")
        return self.speakers[voice].speak(text, speed)
