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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

FREE_SLACK = 0.25
"""How far (mean log-probability per token) the best candidate may score below the free hypothesis and still
be taken (Whisper's own best path is the free hypothesis: a candidate rarely beats it outright). Measured in
bench/recognition.md (scripts/eval_candidates.py)."""
CANDIDATE_MARGIN = 0.2
"""How far the best candidate must score above the second one (mean log-probability per token)."""
_TIME = re.compile(r"\b(\d{1,2}) ?h ?(\d{2})\b")


@dataclass(frozen=True)
class Choice:
    """The verdict on a turn's candidates."""

    candidate: str | None
    """The candidate taken (as given), or None."""
    free_score: float
    """Mean log-probability of the free hypothesis, forced like the candidates."""
    scores: tuple[float, ...]
    """Each candidate's score (its best form), in the order given."""


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
    import ctranslate2

    if not texts:
        return []
    repeated = np.ascontiguousarray(np.repeat(np.asarray(encoded), len(texts), axis=0))
    results = model.generate(
        ctranslate2.StorageView.from_array(repeated),
        [[*prompt, *tokens] for tokens in texts],
        beam_size=1,
        max_length=min(448, len(prompt) + 2 * (max(len(t) for t in texts) + 1) + 4),  # see below
        return_logits_vocab=True,
        suppress_blank=False,
        suppress_tokens=[],
    )
    # Measured with CTranslate2 4.8: a batch of prompts decoded max_length // 2 steps (prefix included), not
    # max_length - len(prompt): hence the doubled bound; a text left short of steps scores -inf.
    scores = []
    for tokens, result in zip(texts, results, strict=True):
        steps = result.logits[0]
        wanted = [*tokens, eot]
        total = 0.0
        for step, token in zip(steps, wanted, strict=False):
            logits = np.asarray(step, dtype=np.float64).reshape(-1)
            top = logits.max()
            total += float(logits[token] - top - np.log(np.exp(logits - top).sum()))
        scores.append(total / len(wanted) if len(steps) >= len(wanted) else float("-inf"))
    return scores


def choose(
    model: ctranslate2.models.Whisper,
    tokenizer: Tokenizer,
    encoded: ctranslate2.StorageView,
    prompt: Sequence[int],
    free_text: str,
    candidates: Sequence[str],
) -> Choice:
    """Score `candidates` and the free hypothesis against the turn's audio; take a candidate that clearly wins.

    A candidate is taken when the free text already is that candidate (without case or punctuation), or when
    its score is at most `FREE_SLACK` below the free hypothesis's and `CANDIDATE_MARGIN` above every other
    candidate's. Nothing is taken when the free text is empty (silence).
    """
    said = comparable(free_text)
    if not said or not candidates:
        return Choice(None, float("nan"), ())
    forms = [whisper_forms(c) for c in candidates]
    flat = [" " + free_text.strip(), *(f for group in forms for f in group)]
    scored = forced_scores(model, encoded, prompt, [tokenizer.encode(t) for t in flat], tokenizer.eot)
    free, rest = scored[0], iter(scored[1:])
    scores = tuple(max(next(rest) for _ in group) if group else float("-inf") for group in forms)
    same = [c for c in candidates if comparable(c) == said]
    if same:
        return Choice(same[0], free, scores)
    order = sorted(range(len(candidates)), key=lambda i: scores[i], reverse=True)
    best = order[0]
    second = scores[order[1]] if len(order) > 1 else float("-inf")
    wins = scores[best] >= free - FREE_SLACK and scores[best] - second >= CANDIDATE_MARGIN
    return Choice(candidates[best] if wins else None, free, scores)
