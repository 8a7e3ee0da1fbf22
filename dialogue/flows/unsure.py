"""A "non" to the question that said back an unsure name or birth date (`dialogue.flows.echo`) corrects it.

"Jean Dupont, c'est noté. Quelle est la date de naissance ?" — "non, c'est Dupond": the name is replaced and
the question asked again; "non" alone: the detail is dropped and asked again (a birth date with the keypad
offered). A name misheard twice (the same name heard again in the correction, or a second name refused in the
call) has the surname asked letter by letter (`dialogue.flows.spelling`). When the question itself is a
yes/no one ("Pouvons-nous vous joindre au ... ?"), a bare "non" answers it; only a correction carrying the
value ("non, c'est Dupond") changes the detail.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dialogue.actions import Detail, ExpectKind
from dialogue.context import Context
from dialogue.flows.common import Heard, Result
from dialogue.flows.echo import BIRTH, NAME, echo_line, value_said
from dialogue.flows.identity import advance_identity, ask_birth, ask_name, read_birth, read_name
from dialogue.flows.spelling import ask_spelling
from dialogue.state import Patient, Phase, State
from dialogue.understand.when import parse_birth_date
from dialogue.understand.yesno import parse_yes_no

_LEADING_NO = re.compile(r"^(?:\W*\b(?:non|nan|no|nope|nah)\b)+[\W_]*", re.IGNORECASE)
""""Non, non, " before the correction."""


def on_echoed(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The correction of the detail said back with the current question, or `None` when `heard` is not one
    (then the question's own handler takes it).
    """
    echo = state.echo
    if echo is None or echo.prompt != state.prompt or heard.text is None:
        return None
    locale = ctx.locale
    if parse_yes_no(heard.text, locale) is not False:
        return None
    rest = _LEADING_NO.sub("", heard.text.strip()).strip(" .,!?;:")
    bare = not rest or parse_yes_no(rest, locale) is False
    if bare:
        if state.prompt is not None and state.prompt.expect is ExpectKind.YES_NO:
            return None
        again = echo.what == NAME and bool(state.refused_names)  # a second name refused in the call
        return _ask_again(_refused(state, echo.what, ctx), echo.what, ctx, spell=again)
    corrected = _replaced(_refused(state, echo.what, ctx), echo.what, rest, ctx)
    if corrected is None:
        return None
    if value_said(corrected, echo.what, ctx) == value_said(state, echo.what, ctx):
        # heard the same again: a name is spelled, a birth date may be keyed in
        return _ask_again(corrected, echo.what, ctx, spell=True)
    line = echo_line(corrected, echo.what, ctx)
    pre = [line] if line else []
    if state.phase is Phase.FIND_BIRTH:
        return ask_birth(corrected, ctx, Phase.FIND_BIRTH, pre)
    return advance_identity(corrected, ctx, pre)


def _refused(state: State, what: Detail, ctx: Context) -> State:
    """The state with the name said back counted as refused (never guessed again in the call)."""
    said = value_said(state, what, ctx)
    if what != NAME or said is None or said in state.refused_names:
        return state
    return replace(state, refused_names=(*state.refused_names, said))


def _replaced(state: State, what: Detail, rest: str, ctx: Context) -> State | None:
    """The state with the detail `rest` carries ("c'est Dupond", "le 15 juillet 1982"), or `None`."""
    patient = state.patient
    if what == BIRTH:
        born = read_birth(Heard(text=rest), ctx)
        return replace(state, patient=replace(patient, birth_date=born, record_id=None)) if born else None
    if parse_birth_date(rest, ctx.locale) is not None:
        return None
    name = read_name(Heard(text=rest), ctx)
    if name is None:
        return None
    first, last = name
    fixed = replace(patient, first_name=first or patient.first_name, last_name=last, record_id=None)
    return replace(state, patient=fixed)


def _ask_again(state: State, what: Detail, ctx: Context, *, spell: bool = False) -> Result:
    """Drop the detail and ask for it again ("Pardon, j'ai mal compris. Quelle est la date de naissance ?");
    with `spell`, a name's surname is asked letter by letter, the first name kept.
    """
    pre = [ctx.phrases.get("echo.again")]
    patient = state.patient
    if what == BIRTH:
        dropped = replace(state, patient=replace(patient, birth_date=None, record_id=None))
        return ask_birth(dropped, ctx, Phase.BIRTH, pre, misheard=True)
    finding = state.phase is Phase.FIND_BIRTH
    if spell:
        return ask_spelling(state, ctx, Phase.FIND_NAME if finding else Phase.NAME, pre)
    fresh = Patient() if finding else replace(patient, first_name=None, last_name=None, record_id=None)
    return ask_name(replace(state, patient=fresh), ctx, Phase.FIND_NAME if finding else Phase.NAME, pre)
