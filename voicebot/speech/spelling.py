"""A surname spelled letter by letter, read on the turn's audio as letters and as the common surnames it may be.

Whisper base, left free, writes French letters said one by one over an 8 kHz line as words ("G, I, R, A, R, D,
I, N" → "Génitaire vers D, N."). Two readings use the turn's encoder output instead:
- `letter_readings`: the beam decoder allowed only letters, commas, full stops and hyphens, so it must write
  letters ("G-E-R-D-E-N"): rarely the exact name, but close to it;
- `choose_spelled`: the spellings of the common surnames the caller may be spelling (those near the names
  refused in the call and near the letter readings: `dialogue.understand.common_names.spelling_names`), forced
  on the decoder like the other expected answers (`voicebot.speech.candidates.forced_scores`); one is taken when
  it clearly leads the others and scores near the best letter reading.
On 18 French names spelled by the native Kokoro voice through the line (9 of them common surnames among the
candidates): thresholds (margin 0.3, gap 1.0) took the right name for 5 of the 9 and a wrong one for 1 of the 9
others; the name taken is said back spelled, so a "non" corrects it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from dialogue.understand.common_names import spelled_letters
from voicebot.speech.candidates import comparable, forced_scores

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

SPELLED_MARGIN = 0.3
"""How far (mean log-probability per token) the best surname's spelling must score above the next one that
does not sound the same."""
LETTERS_GAP = 1.0
"""How far below the best free letter reading the surname's spelling may score: a name the caller did not spell
scores far below the letters the decoder reads when it may write any."""
READINGS = 3
"""Letter readings kept (beam hypotheses)."""


def letters_of(name: str) -> str:
    """The letters a caller spells for `name`: "Lefèvre-Roy" → "LEFEVREROY"."""
    return spelled_letters(name)


def plain_words(text: str) -> bool:
    """Whether the turn is one word, not a letter ("Pardon ?"): not a spelling at all, so no surname is taken
    from it (a line run took "Picard" for "Pardon ?"); two words may be letters as words ("Dévis béroïse." for
    "D, U, B, O, I, S").
    """
    words = re.findall(r"[^\W\d_]+", text)
    return len(words) <= 1 and all(len(w) > 1 for w in words)


def looks_spelled(text: str) -> bool:
    """Whether Whisper already wrote the turn as letters ("D, U P O N T."): three single letters or more, and
    few other words; then it is read as written.
    """
    words = re.findall(r"[^\W\d_]+", text)
    single = sum(len(w) == 1 for w in words)
    return single >= 3 and single >= 0.7 * len(words)


def spelled_form(letters: str) -> str:
    """How Whisper writes a spelled name as a whole turn: "GIRARD" → " G, I, R, A, R, D."."""
    return " " + ", ".join(letters) + "."


@lru_cache(maxsize=4)
def _suppressed(tokenizer: Tokenizer, vocabulary: int) -> tuple[int, ...]:
    """Every token but single letters (with and without a leading space), ",", ".", "-" and end-of-text."""
    allowed = {tokenizer.eot}
    for text in [*string.ascii_uppercase, *(" " + c for c in string.ascii_uppercase), ",", ".", "-", " -"]:
        ids = tokenizer.encode(text)
        if len(ids) == 1:
            allowed.add(ids[0])
    return tuple(i for i in range(vocabulary) if i not in allowed)


def letter_readings(
    model: ctranslate2.models.Whisper,
    tokenizer: Tokenizer,
    encoded: ctranslate2.StorageView,
    prompt: Sequence[int],
    vocabulary: int,
) -> list[tuple[str, float]]:
    """The turn read as letters only: ("GERDEN", mean log-probability per token) best first, at most
    `READINGS`; empty readings left out.
    """
    result = model.generate(
        encoded,
        [list(prompt)],
        beam_size=5,
        num_hypotheses=READINGS,
        max_length=len(prompt) + 64,
        return_scores=True,
        suppress_blank=False,
        suppress_tokens=list(_suppressed(tokenizer, vocabulary)),
        no_repeat_ngram_size=0,  # letters repeat ("R, A, R")
    )[0]
    readings = []
    for sequence, score in zip(result.sequences_ids, result.scores, strict=True):
        ids = [t for t in sequence if t < tokenizer.eot]
        letters = "".join(c for c in tokenizer.decode(ids) if c.isalpha())
        if letters:
            readings.append((letters, float(score) * len(ids) / (len(ids) + 1)))
    return readings


def choose_spelled(
    model: ctranslate2.models.Whisper,
    tokenizer: Tokenizer,
    encoded: ctranslate2.StorageView,
    prompt: Sequence[int],
    free_text: str,
    readings: Sequence[tuple[str, float]],
    names: Sequence[str],
    alike: Callable[[str, str], bool],
) -> str | None:
    """The surname of `names` the turn spells, if one clearly wins; None otherwise.

    Args:
        model: The CTranslate2 Whisper model.
        tokenizer: The turn's tokenizer.
        encoded: The turn's encoder output.
        prompt: The decoder prompt of the free decoding.
        free_text: The free hypothesis: a name among `names` written as its spelling there is taken at once.
        readings: `letter_readings` of the turn.
        names: Candidate surnames ("Lambert").
        alike: Whether two names sound the same ("Renaud", "Renault"): such a one is not a rival.
    """
    if not names or not readings or plain_words(free_text):
        return None
    spelled = [letters_of(name) for name in names]
    said = comparable(free_text).replace(" ", "")
    for name, letters in zip(names, spelled, strict=True):
        if said == letters.casefold():
            return name
    texts = [spelled_form(readings[0][0]), *(spelled_form(letters) for letters in spelled)]
    scores = forced_scores(model, encoded, prompt, [tokenizer.encode(t) for t in texts], tokenizer.eot)
    free, rest = scores[0], scores[1:]
    order = sorted(range(len(names)), key=lambda i: rest[i], reverse=True)
    best = order[0]
    rivals = [rest[i] for i in order[1:] if not alike(names[best], names[i])]
    second = rivals[0] if rivals else float("-inf")
    if rest[best] >= free - LETTERS_GAP and rest[best] - second >= SPELLED_MARGIN:
        return names[best]
    return None
