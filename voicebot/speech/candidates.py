"""Expected answers scored against the audio: Whisper's decoder forced on each candidate text.

At a question whose answers the dialogue knows ("le premier", "docteur Martin", "oui"), each answer is written
the way Whisper writes it (`whisper_forms`: a leading space, a capital, a final full stop) and fed to the
decoder as a forced prefix over the turn's encoder output (encoded once, shared with the free decoding). The
score of a text is its mean log-probability per token, the end-of-text token included, so a candidate that is
only the beginning of what was said ("le premier" for "le premier, s'il vous plaît") pays for the end-of-text
the audio does not support. The free hypothesis is scored the same way, and a candidate is taken only when it
scores close to it or above, and clearly above the second candidate (`choose`).

CTranslate2's `Whisper.align` (what faster-whisper's `find_alignment` calls) returns `text_token_probs`, but as a
softmax over the text tokens only (end-of-text left out, like openai-whisper's `find_alignment`), so it cannot
tell a prefix from a whole answer. `generate` with the text as prompt and `return_logits_vocab=True` returns
the full distribution of every forced step and of the step after it: one batched decoder pass, no search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

FREE_SLACK = 0.5
"""How far (mean log-probability per token) the best candidate may score below the free hypothesis and still
be taken: the free hypothesis is Whisper's own best path, so a candidate rarely beats it outright. On 160 turns
(scripts/eval_candidates.py, bench/recognition.md), thresholds (slack, margin), judged on the scores alone, took
the right candidate, and falsely took one from lists without the truth: (0.25, 0.2) 124
and 1; (0.5, 0.5) 140 and 1; (0.75, 0.5) 147 and 2; (1.0, 0.2) 150 and 5. No wrong candidate was ever taken
from a list holding the truth. The false accepts are numbers that begin the same ("soixante" -> "soixante-dix")."""
CANDIDATE_MARGIN = 0.5
"""How far the best candidate must score above the second one (mean log-probability per token)."""
MAX_SCORED = 6
"""Most candidate forms scored in one turn: each costs one decoder pass (0.06-0.09 s on a 16-second French window,
2 threads), and an offer expects ten answers. The ones written most like what Whisper heard are scored (`closest`):
a candidate the recogniser was far from in all its hypotheses rarely wins anyway."""
GUESS_SLACK = 1.5
"""`FREE_SLACK` for a name question, where the free hypothesis of a name Whisper does not know is other words
("Et mal le roi." -0.67 against "Emma Leroy" -1.53; "Nicolas Ford." -0.33, "Nicolas Faure" -1.23): the name
taken is said back, so a "non" corrects it (scripts/eval_names.py, bench/names.json)."""
GUESS_MARGIN = 0.3
"""`CANDIDATE_MARGIN` for a name question: on six eval names looked at closely, the right name led the next one
that sounds different by 0.42 to 1.77; near names can still tie ("Chloé Petit", "Claire Petit": nothing taken)."""


@dataclass(frozen=True)
class Rule:
    """How clearly a candidate must win to be taken."""

    slack: float = FREE_SLACK
    """How far below the free hypothesis the best candidate may score."""
    margin: float = CANDIDATE_MARGIN
    """How far above its first rival the best candidate must score."""
    alike: Callable[[str, str], bool] | None = None
    """Whether two candidates sound the same ("Paul Renaud", "Paul Renault"): such a one is not a rival, and
    the better scored spelling is taken."""


_TIME = re.compile(r"\b(\d{1,2}) ?h ?(\d{2})\b")


@dataclass(frozen=True)
class Choice:
    """The verdict on a turn's candidates."""

    candidate: str | None
    """The candidate taken (as given), or None."""
    free_score: float
    """Mean log-probability of the free hypothesis, forced like the candidates (NaN when nothing was scored)."""
    scores: tuple[float, ...]
    """Each candidate's score (its best form), in the order given; empty when the free text was a candidate."""


def whisper_forms(text: str) -> list[str]:
    """How Whisper would write `text` as a whole turn: " Le premier.", and "10h30" for "10 h 30"."""
    text = " ".join(text.split())
    if not text:
        return []
    styled = text[0].upper() + text[1:]
    if styled[-1].isalnum():
        styled += "."
    forms = [" " + styled]
    compact = _TIME.sub(r"\1h\2", styled)
    if compact != styled:
        forms.append(" " + compact)
    return forms


def comparable(text: str) -> str:
    """`text` without case, punctuation or extra spaces (accents kept): "Le premier." -> "le premier"."""
    return " ".join(re.sub(r"[^\w']+", " ", text.casefold()).split())


def other_readings(hypotheses: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], float | None]:
    """The other hypotheses' texts that read differently from the best (case and punctuation aside), best
    first, and the best's lead over the first of them (None when there is none).
    """
    best_text, best_score = hypotheses[0]
    seen = {comparable(best_text)}
    texts: list[str] = []
    margin = None
    for text, score in hypotheses[1:]:
        key = comparable(text)
        if not key or key in seen:
            continue
        seen.add(key)
        texts.append(text)
        if margin is None:
            margin = best_score - score
    return tuple(texts), margin


def closest(candidates: Sequence[str], heard: Sequence[str], limit: int = MAX_SCORED) -> list[str]:
    """The candidates whose Whisper forms come to at most `limit`, those written most like one of the `heard`
    hypotheses first (character similarity without case or punctuation); the order given breaks ties.
    """
    said = [comparable(h) for h in heard if comparable(h)]

    def likeness(candidate: str) -> float:
        key = comparable(candidate)
        return max((SequenceMatcher(None, key, h).ratio() for h in said), default=0.0)

    ranked = sorted(candidates, key=likeness, reverse=True)
    kept: list[str] = []
    forms = 0
    for candidate in ranked:
        count = len(whisper_forms(candidate))
        if kept and forms + count > limit:
            break
        kept.append(candidate)
        forms += count
    return kept


def forced_scores(
    model: ctranslate2.models.Whisper,
    encoded: ctranslate2.StorageView,
    prompt: Sequence[int],
    texts: Sequence[Sequence[int]],
    eot: int,
) -> list[float]:
    """Mean log-probability per token of each token sequence (end-of-text included) after `prompt`.

    Args:
        model: The CTranslate2 Whisper model.
        encoded: The turn's encoder output, batch of one.
        prompt: The decoder prompt of the free decoding (`Recognizer.prompt_tokens`).
        texts: Token ids of each text, without end-of-text.
        eot: The end-of-text token id.
    """
    # One text per call: on a 16-second window (800 encoder frames), six texts in one batch took 0.6 s and six
    # single calls 0.2 s (CTranslate2 4.8, 2 threads). The text is the prompt's tail: CTranslate2 forces it and
    # returns the distribution of each forced step and of the step after it (`logits`, one per step).
    scores = []
    for tokens in texts:
        wanted = [*tokens, eot]
        result = model.generate(
            encoded,
            [[*prompt, *tokens]],
            beam_size=1,
            # how max_length counts a forced text is not documented: with a bare prompt CTranslate2 4.8 decoded
            # about max_length // 2 steps, with a long one max_length - len(prompt) + 1; this covers both
            max_length=min(448, len(prompt) + 2 * len(wanted) + 4),
            return_logits_vocab=True,
            suppress_blank=False,
            suppress_tokens=[],
        )[0]
        steps = result.logits[0]
        if len(steps) < len(wanted):
            scores.append(float("-inf"))
            continue
        total = 0.0
        for step, token in zip(steps, wanted, strict=False):
            logits = np.asarray(step, dtype=np.float64).reshape(-1)
            top = logits.max()
            total += float(logits[token] - top - np.log(np.exp(logits - top).sum()))
        scores.append(total / len(wanted))
    return scores


def choose(
    model: ctranslate2.models.Whisper,
    tokenizer: Tokenizer,
    encoded: ctranslate2.StorageView,
    prompt: Sequence[int],
    free_text: str,
    candidates: Sequence[str],
    heard: Sequence[str] = (),
    rule: Rule = Rule(),  # noqa: B008 (frozen)
) -> Choice:
    """Score `candidates` and the free hypothesis against the turn's audio; take a candidate that clearly wins.

    A candidate is taken when the free text already is that candidate (without case or punctuation), or when
    its score is at most `rule.slack` below the free hypothesis's and `rule.margin` above every other
    candidate's (those that sound alike aside). Nothing is taken when the free text is empty (silence). Only
    the candidates `closest` to the free text and the other hypotheses `heard` are scored; the others score
    minus infinity.
    """
    said = comparable(free_text)
    if not said or not candidates:
        return Choice(None, float("nan"), ())
    same = [c for c in candidates if comparable(c) == said]
    if same:  # Whisper heard it: nothing to score
        return Choice(same[0], float("nan"), ())
    scored_ones = set(closest(candidates, [free_text, *heard]))
    forms = [whisper_forms(c) if c in scored_ones else [] for c in candidates]
    flat = [" " + free_text.strip(), *(f for group in forms for f in group)]
    scored = forced_scores(model, encoded, prompt, [tokenizer.encode(t) for t in flat], tokenizer.eot)
    free, rest = scored[0], iter(scored[1:])
    scores = tuple(max(next(rest) for _ in group) if group else float("-inf") for group in forms)
    order = sorted(range(len(candidates)), key=lambda i: scores[i], reverse=True)
    best = order[0]
    alike = rule.alike or (lambda _a, _b: False)
    rivals = [scores[i] for i in order[1:] if not alike(candidates[best], candidates[i])]
    second = rivals[0] if rivals else float("-inf")
    wins = scores[best] >= free - rule.slack and scores[best] - second >= rule.margin
    return Choice(candidates[best] if wins else None, free, scores)
