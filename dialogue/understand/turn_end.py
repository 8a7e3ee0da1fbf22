"""Does the caller's turn sound finished? A text cue for the voice layer's end-of-turn decision.

The voice layer ends a caller's turn after a pause. A short pause is enough when what was heard already
sounds complete ("oui", "mardi matin", "the second one"); a caller who stops on "je voudrais un rendez-vous
avec le…" or "um, on" is still looking for words and deserves the full patience. Pure and deterministic:
the text and the expected answer in, a yes or no out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dialogue.actions import ExpectKind
from dialogue.understand.text import plain
from dialogue.understand.when import parse_birth_date, parse_when

_TRAILING: dict[str, frozenset[str]] = {
    "fr": frozenset(
        """
        et ou mais donc alors puis car que qui quand si comme
        le la les l un une des du de d au aux a avec pour par vers chez en dans sur sous entre apres avant
        mon ma mes ton ta tes son sa ses notre votre leur ce cet cette ces
        je j il elle on nous vous c est suis serait voudrais voudrait veux peux pourrais aimerais souhaite
        souhaiterais prendre avoir faire voir docteur doctoresse madame monsieur dr rendez plutot
        euh heu hum bah ben bon enfin voila genre
        bonjour allo oui non
    """.split()
    ),
    "en": frozenset(
        """
        and or but so then because that which who when if as
        the a an to for with by at on in of from about around after before between than
        my your his her our their this that these those
        i i'd im i'm it's its is was be would like want could can need see book make have get
        doctor dr mr mrs ms miss maybe
        um uh er erm hmm well like
        hello hi yes no yeah okay ok
    """.split()
    ),
}
"""Words a sentence does not end on while the caller is still talking. Greetings and a bare yes/no are among
them: as an opening ("bonjour…", "oui euh…") they lead into the request; a yes/no question accepts them."""

_QUICK_KINDS = {ExpectKind.YES_NO, ExpectKind.DATE, ExpectKind.FREE}
"""Answers that may end after a short pause when they sound finished. Digits are read in groups with pauses,
and a spelled name letter by letter: they always get the full patience; names only end early when whole (see
`_NAME_LEADS`)."""

_NAME_LEADS: dict[str, frozenset[str]] = {
    "fr": frozenset("je j m appelle moi c est mon nom prenom s madame monsieur mademoiselle mme m mr".split()),
    "en": frozenset("my name is it's its i'm im i am this it first last surname mr mrs ms miss".split()),
}
"""Words before a name ("je m'appelle", "my name is"). A name ends early once two words of it were heard and
none is a lone letter: "Jean Dupont" is whole, "je m'appelle Jean" may go on, "D, U, P" is being spelled."""

_WORD = re.compile(r"[a-z0-9']+")


def sounds_finished(text: str, expect: ExpectKind | None, locale: str) -> bool:
    """Whether `text` (everything heard in the turn so far) sounds like a finished answer to `expect`.

    Args:
        text: The caller's words so far.
        expect: The kind of answer the dialogue waits for (`None`: the opening request).
        locale: "fr" or "en" (a region suffix is ignored).

    Returns:
        True when a short pause may end the turn; False when the caller should be given more time.
    """
    kind = expect or ExpectKind.FREE
    words = _WORD.findall(plain(text).replace("’", "'"))
    trailing = _TRAILING.get(locale[:2], _TRAILING["en"])
    if kind is ExpectKind.NAME:
        leads = _NAME_LEADS.get(locale[:2], _NAME_LEADS["en"])
        name = [w for w in words if w not in leads]
        return len(name) >= 2 and all(len(w) > 1 for w in name) and words[-1] not in trailing
    if kind not in _QUICK_KINDS or not words:
        return False
    if kind is ExpectKind.YES_NO:
        return words[-1] not in trailing - {"oui", "non", "yes", "no", "yeah", "okay", "ok", "bon", "voila"}
    return words[-1] not in trailing


_ANY_DAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""A reference time for `complete_answer`, which asks whether words name a day, not which day."""


def complete_answer(text: str, expect: ExpectKind | None, locale: str, *, offered: bool = False) -> bool:
    """Whether `text` is a complete answer to what the dialogue expects, so the turn may end after a short
    quiet, before the VAD's own end of speech: a yes/no, one of the offered answers (`offered`: the recogniser
    matched one), a whole name at the name question, or a full date ("mardi 8 décembre", "demain matin",
    "le 14 juillet 1982", "le plus tôt possible"). Unfinished phrases, digits, spellings, a bare day ("demain",
    which a time may follow) and open requests keep their patience.
    """
    if not sounds_finished(text, expect, locale) or expect is None:
        return False
    if offered or expect in (ExpectKind.YES_NO, ExpectKind.NAME):
        return True
    if expect is not ExpectKind.DATE:
        return False
    if parse_birth_date(text, locale) is not None:
        return True
    when = parse_when(text, _ANY_DAY, locale)
    if when is None or when.asap:
        return when is not None
    one_day = when.first_day is not None and when.first_day == when.last_day
    return one_day and (when.time is not None or bool(when.windows) or any(c.isdigit() for c in text))
