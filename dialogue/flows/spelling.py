"""After a name was misheard, the surname is asked letter by letter, as a secretary would.

"Paul Girard, c'est noté. Quelle est la date de naissance ?" — "non, Paul Girardin", heard as "Paul Girard"
again (or a second name refused in the call, or "non, le nom" at the read-back): "Pouvez-vous m'épeler le nom
de famille, lettre par lettre ?". The first name already heard is kept. A spelled answer ("G, I, R, A, R, D,
I, N") is said back spelled with the next question ("Girardin, G, I, R, A, R, D, I, N, c'est noté."), so a
"non" can still correct it (`dialogue.flows.unsure`); a caller who says the name instead is taken as said.
The question stays the name question's phase (`Phase.NAME`, `Phase.FIND_NAME`); its prompt expects
`ExpectKind.SPELLING`, and `spelled_or` routes the answer here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from dialogue.actions import Detail, Expect, ExpectKind, Say
from dialogue.context import Context
from dialogue.flows.common import Handler, Heard, Result, ask, expect_of
from dialogue.flows.echo import NAME, noted
from dialogue.flows.identity import advance_identity, ask_birth, read_name
from dialogue.state import Echo, Patient, Phase, State, Task
from dialogue.understand.common_names import spelled_letters
from dialogue.understand.name_lists import is_first_name
from dialogue.understand.names import parse_person_name, parse_spelled, tidy_name
from dialogue.understand.text import plain
from dialogue.wording.spoken import say_spelled

MIN_SPELLED = 3
"""Fewest letters of a spelled surname: two letters among words ("Génitaire vers D, N.", "Elle a ...": L, A) are
the recogniser writing letters as words, not a surname spelled; the question is asked again."""
LETTERS_SHARE = 0.7
"""Least share of the answer's words that are the spelled letters: "Génitaire vers D, H, N." (3 of 5) is the
recogniser writing "G, I, R, A, R, D, I, N" as words; "Girardin, G, I, R, A, R, D, I, N" (8 of 9) is spelled."""

_NAME_LEADS = frozenset(
    "je j m appelle c est moi mon nom s il elle madame monsieur non oui euh my name is it s i m im".split()
)
"""Words that may come with a name said instead of spelled ("c'est Girardin", "je m'appelle Pierre Girardin")."""

_FINDING = frozenset({Task.CANCEL, Task.MOVE})
"""Tasks whose name question looks an appointment up (`Phase.FIND_NAME`)."""


def ask_spelling(state: State, ctx: Context, phase: Phase, pre: Sequence[str] = ()) -> Result:
    """Ask the surname letter by letter, keeping the first name heard (`phase`: `NAME` or `FIND_NAME`).

    Keys cannot spell: the keypad menu is the name question's (0 for a person; 1 for a patient registered
    with the calling number, when looking an appointment up).
    """
    phrases = ctx.phrases
    held = " ".join(n for n in (state.patient.first_name, state.patient.last_name) if n)
    if held and held not in state.refused_names:  # the name misheard: never guessed again in the call
        state = replace(state, refused_names=(*state.refused_names, held))
    patient = replace(state.patient, last_name=None, record_id=None)
    if phase is Phase.FIND_NAME:
        patient = Patient(first_name=patient.first_name)
    keypad = "keypad.find_name_known" if phase is Phase.FIND_NAME and state.caller_patients else "keypad.name"
    return ask(
        replace(state, patient=patient),
        ctx,
        phase,
        [phrases.get("echo.spell")],
        ExpectKind.SPELLING,
        pre=pre,
        example=phrases.get("example.spelling"),
        keypad=phrases.get(keypad),
    )


def spelled_or(handler: Handler) -> Handler:
    """`handler` for the name question, with the answer to the spelling question (`ask_spelling`) read here."""

    def on_name_or_spelled(state: State, heard: Heard, ctx: Context) -> Result | None:
        if state.prompt is None or state.prompt.expect is not ExpectKind.SPELLING or heard.text is None:
            return handler(state, heard, ctx)  # keys: the name question's menu
        return on_spelled(state, heard, ctx)

    on_name_or_spelled.__doc__ = handler.__doc__
    return on_name_or_spelled


def on_spelled(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The surname spelled (said back spelled with the next question), or a name said instead (taken as
    said); `None` for anything else, fewer than `MIN_SPELLED` letters included (the question is asked again).
    """
    if heard.text is None:
        return None
    spelled = parse_spelled(heard.text, ctx.locale)
    if spelled is not None and not _mostly_letters(heard.text, spelled):
        return None
    name = (None, tidy_name(spelled)) if spelled else read_name(heard, ctx)
    if name is not None and not spelled and not _only_a_name(heard.text, name, ctx):
        return None  # "En mutais, c'est parti !": letters heard as words, not a name said instead
    if name is None:
        return None
    first = name[0] or state.patient.first_name
    if spelled and name[0] is None and first and _first_name_doubtful(state, first, name[1], ctx):
        first = None  # asked again: it was what was misheard, or may have been
    if state.task in _FINDING:
        found = replace(state, patient=Patient(first_name=first, last_name=name[1]))
        result = ask_birth(found, ctx, Phase.FIND_BIRTH)
    else:
        patient = replace(state.patient, first_name=first, last_name=name[1], record_id=None)
        result = _after_surname(replace(state, patient=patient), ctx)
    return _said_back(result, ctx) if spelled else noted(result, heard, NAME, ctx)


_AS_IN = re.compile(r"\b(?:comme|as in|for|like)\s+\S+")
"""The word that says which letter ("B comme Bernard", "T as in Tango"): not counted as a word of its own."""


def _mostly_letters(text: str, spelled: str) -> bool:
    """Whether the spelled letters are an answer of their own: `MIN_SPELLED` at least, and `LETTERS_SHARE` of its
    words (`parse_spelled` keeps the longest run of letters, wherever it is).
    """
    letters = sum(c.isalpha() for c in spelled)
    words = len(_AS_IN.sub(" ", plain(text)).split())  # "B comme Bernard": one letter
    return letters >= MIN_SPELLED and letters >= LETTERS_SHARE * words


def _first_name_doubtful(state: State, first: str, surname: str, ctx: Context) -> bool:
    """Whether the first name kept with a spelled surname should be asked again: the surname is the one
    refused, letter for letter (so the first name was what was wrong: "Cloi Petit" refused, "P, E, T, I, T"
    spelled), or the first name is none people bear ("Rœur", Whisper's "Zoé").
    """
    return _surname_refused(state, surname, ctx) or not is_first_name(first, ctx.locale)


def _surname_refused(state: State, surname: str, ctx: Context) -> bool:
    """Whether `surname` is, letter for letter, the surname of a name refused in the call ("Cloi Petit"
    refused, then "P, E, T, I, T" spelled: the surname was right).
    """
    letters = spelled_letters(surname)
    for refused in state.refused_names:
        parsed = parse_person_name(refused, ctx.locale)
        if parsed is not None and parsed[0] and spelled_letters(parsed[1]) == letters:
            return True
    return False


def _only_a_name(text: str, name: tuple[str | None, str], ctx: Context) -> bool:
    """Whether `text` is the name and words that lead to one, nothing else, its first name (if any) one people
    bear: "En mutais, c'est parti !" and "Aire relique." (the recogniser writing "M, O, R, E, A, U" and "R, O, U,
    X" as words) are no name said instead of spelled.
    """
    first, _ = name
    if first is not None and not is_first_name(first, ctx.locale):
        return False
    named = set(plain(" ".join(part for part in name if part)).split())
    return all(word in named or word in _NAME_LEADS for word in plain(text).split())


def _after_surname(state: State, ctx: Context) -> Result:
    """The next question once the surname is known: the first name when none was heard, else the next detail."""
    if state.patient.first_name is not None:
        return advance_identity(state, ctx)
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.FIRST_NAME,
        [phrases.get("identity.first_name_question")],
        ExpectKind.NAME,
        example=phrases.get("example.name"),
        keypad=phrases.get("keypad.name"),
        guess=Detail.FIRST_NAME,
    )


def _said_back(result: Result, ctx: Context) -> Result:
    """`result` with the spelled surname said back before its question, which may then correct it; unchanged
    when the question already spells it (the read-back).
    """
    state, actions = result
    last = state.patient.last_name
    if state.outcome is not None or state.prompt is None or not last:
        return result
    letters = say_spelled(last)
    if any(isinstance(a, Say) and letters in a.text for a in actions):
        return result
    line = Say(ctx.phrases.get("echo.spelled", name=last, spelled=letters))
    first = state.prompt.lines[0] if state.prompt.lines else None
    at = next((i for i, a in enumerate(actions) if isinstance(a, Say) and a.text == first), len(actions) - 1)
    echoed = replace(state, echo=Echo(NAME, state.prompt))
    said = [*actions[:at], line, *(expect_of(echoed) if isinstance(a, Expect) else a for a in actions[at:])]
    return echoed, said
