"""Real human speech for a simulated caller: an answer composed from Debian's Asterisk recordings.

`asterisk-core-sounds-fr-wav` (Canadian French, one female speaker) and `asterisk-core-sounds-en-wav` (US English)
hold 8 kHz recordings labelled by file name: `digits/N.wav` (0-20, tens, `hundred`, `thousand`, `million`; `et`
in French, `oh` in English), `digits/day-N.wav` (0 = Sunday), `digits/mon-N.wav` (0 = January), `digits/today`,
`tomorrow`, `yesterday`, and `letters/X.wav`. `recording_groups` maps a caller's answer to those files when every
word has one ("14 juillet 1982" → 14, July, thousand, 9, hundred, 80, 2), pure; `recorded_answer` loads and joins
them with short pauses, as the caller line `human:TEXT` and the caller voice `human` play them.

Numbers are read as people say them: a year in English in pairs ("nineteen eighty-two"), French 70s and 90s
as "soixante-douze", "quatre-vingt-onze", leading zeros one by one ("06" → zéro six).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SOUNDS = Path("/usr/share/asterisk/sounds")
FOLDERS = {"fr": ("fr_CA_f_June", "fr"), "en": ("en_US_f_Allison", "en")}
"""Sound folders under `SOUNDS` per language, first found wins (Debian's names, then Asterisk's own)."""
RATE = 8_000
PAUSE = 0.12
"""Seconds of silence between two words."""
JOINT = 0.02
"""Seconds of silence between two recordings of one word or number ("quatre-vingt" + "deux")."""

_DAYS = {
    "fr": "dimanche lundi mardi mercredi jeudi vendredi samedi",
    "en": "sunday monday tuesday wednesday thursday friday saturday",
}
_MONTHS = {
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "en": "january february march april may june july august september october november december",
}
_NUMBER_WORDS = {
    "fr": "zero un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept "
    "dix-huit dix-neuf vingt",
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty",
}
_TENS = {
    "fr": {"trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "soixante-dix": 70, "quatre-vingt": 80,
           "quatre-vingts": 80, "quatre-vingt-dix": 90},
    "en": {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90},
}  # fmt: skip
_OTHER_WORDS = {
    "fr": {"une": "digits/1", "cent": "digits/hundred", "cents": "digits/hundred", "mille": "digits/thousand",
           "million": "digits/million", "millions": "digits/million", "et": "digits/et",
           "aujourd'hui": "digits/today", "demain": "digits/tomorrow", "hier": "digits/yesterday"},
    "en": {"oh": "digits/oh", "hundred": "digits/hundred", "thousand": "digits/thousand", "million": "digits/million",
           "today": "digits/today", "tomorrow": "digits/tomorrow", "yesterday": "digits/yesterday"},
}  # fmt: skip


class NoRecording(LookupError):
    """Some word of an answer has no recording, or the recordings are not installed."""


def _fold(text: str) -> str:
    """Lower case without accents; typographic apostrophes made plain."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _lexicon(language: str) -> dict[str, str]:
    words = {w: f"digits/{n}" for n, w in enumerate(_NUMBER_WORDS[language].split())}
    words |= {w: f"digits/{n}" for w, n in _TENS[language].items()}
    words |= {w: f"digits/day-{n}" for n, w in enumerate(_DAYS[language].split())}
    words |= {w: f"digits/mon-{n}" for n, w in enumerate(_MONTHS[language].split())}
    words |= {chr(c): f"letters/{chr(c)}" for c in range(ord("a"), ord("z") + 1)}
    return words | _OTHER_WORDS[language]


def _french(n: int) -> list[str]:
    """A cardinal number as French says it, in recording names (without `digits/`)."""
    if n <= 20 or n in (30, 40, 50, 60, 70, 80, 90):
        return [str(n)]
    if n < 100:
        base = n // 10 * 10 if n < 70 or 80 <= n < 90 else n // 20 * 20  # 72 = 60 + 12, 91 = 80 + 11
        rest = n - base
        return [str(base), *(["et"] if rest in (1, 11) and base != 80 else []), *_french(rest)]
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            count, rest = divmod(n, size)
            lead = [] if count == 1 and size < 1_000_000 else _french(count)  # "cent", "mille", "un million"
            return [*lead, name, *(_french(rest) if rest else [])]
    raise AssertionError(n)


def _english(n: int, year: bool = False) -> list[str]:
    """A cardinal number as English says it (a four-digit `year` in pairs: "nineteen oh five")."""
    if year and (1100 <= n < 2000 or 2010 <= n < 2100):
        high, low = divmod(n, 100)
        return [*_english(high), *(["hundred"] if low == 0 else ["oh", str(low)] if low < 10 else _english(low))]
    if n <= 20 or (n < 100 and n % 10 == 0):
        return [str(n)]
    if n < 100:
        return [str(n // 10 * 10), str(n % 10)]
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            count, rest = divmod(n, size)
            return [*_english(count), name, *(_english(rest) if rest else [])]
    raise AssertionError(n)


def _figures(token: str, language: str) -> list[str]:
    """A group of figures: leading zeros one by one ("06" → 0, 6), then the number."""
    zeros = len(token) - len(token.lstrip("0"))
    rest = token[zeros:]
    if not rest:
        return ["digits/0"] * len(token)
    value = int(rest)
    names = _french(value) if language == "fr" else _english(value, year=len(rest) == 4)
    return ["digits/0"] * zeros + [f"digits/{n}" for n in names]


def _word(token: str, lexicon: dict[str, str]) -> list[str] | None:
    """A word (maybe hyphenated: "quatre-vingt-deux", "dix-sept") in recordings, longest known parts first."""
    if token in lexicon:
        return [lexicon[token]]
    parts, names = token.split("-"), []
    while parts:
        for size in range(len(parts), 0, -1):
            piece = "-".join(parts[:size])
            if piece in lexicon:
                names.append(lexicon[piece])
                parts = parts[size:]
                break
        else:
            return None
    return names


def recording_groups(text: str, language: str) -> list[list[str]] | None:
    """The recordings that say `text`, one group per word or number ([["digits/14"], ["digits/mon-6"]]).

    Words are matched without case or accents; punctuation is dropped; figures are read as numbers.

    Returns:
        None when a word has no recording, the text is empty, or the language has no recordings.
    """
    if language[:2] not in FOLDERS:
        return None
    lexicon = _lexicon(language[:2])
    groups: list[list[str]] = []
    for token in re.findall(r"[\w'-]+", _fold(text)):
        token = token.strip("'-")
        if not token:
            continue
        found = _figures(token, language[:2]) if token.isdigit() else _word(token, lexicon)
        if found is None:
            return None
        groups.append(found)
    return groups or None


def recording_names(text: str, language: str) -> list[str] | None:
    """The recordings that say `text`, in order ("digits/14", "digits/mon-6", "letters/d"...); see
    `recording_groups`.
    """
    groups = recording_groups(text, language)
    return None if groups is None else [name for group in groups for name in group]


def sounds_folder(language: str, root: Path = SOUNDS) -> Path | None:
    """The installed recordings of `language`, if any."""
    for name in FOLDERS.get(language[:2], ()):
        if (root / name / "digits").is_dir():
            return root / name
    return None


def _trimmed(samples: np.ndarray, rate: int, margin: float = 0.02) -> np.ndarray:
    """Without the silence at both ends (below 2 % of the peak), a few milliseconds kept."""
    level = np.abs(samples.astype(np.int32))
    loud = np.flatnonzero(level > 0.02 * max(int(level.max()), 1))
    if not len(loud):
        return samples
    keep = int(margin * rate)
    return samples[max(0, loud[0] - keep) : loud[-1] + keep]


def load_recordings(
    groups: Sequence[Sequence[str]], folder: Path, pause: float = PAUSE, joint: float = JOINT
) -> tuple[bytes, int]:
    """The recordings of `folder` named in `groups`, trimmed, `joint` seconds apart within a group (the parts of
    one number) and `pause` seconds between groups: int16 PCM at 8 kHz and its rate.
    """
    from voicebot.speech.audio import read_wav, resample, silence

    pieces: list[np.ndarray] = []
    for group in groups:
        for index, name in enumerate(group):
            path = folder / f"{name}.wav"
            if not path.is_file():
                raise NoRecording(f"no recording {path}")
            samples, rate = read_wav(path)
            if pieces:
                pieces.append(silence(joint if index else pause, RATE))
            pieces.append(_trimmed(resample(samples, rate, RATE), RATE))
    return np.concatenate(pieces).astype("<i2").tobytes(), RATE


def recorded_answer(text: str, language: str, root: Path = SOUNDS, pause: float = PAUSE) -> tuple[bytes, int]:
    """`text` said by the Asterisk speaker of `language`: int16 PCM at 8 kHz and its rate.

    Raises:
        NoRecording: A word has no recording, or the package is not installed.
    """
    folder = sounds_folder(language, root)
    if folder is None:
        raise NoRecording(f"no Asterisk recordings under {root}: apt-get install asterisk-core-sounds-{language}-wav")
    groups = recording_groups(text, language)
    if groups is None:
        raise NoRecording(
            f"no Asterisk recording for every word of {text!r} ({language}): only numbers, weekdays, months, "
            "letters, today, tomorrow and yesterday have one"
        )
    return load_recordings(groups, folder, pause)
