"""Saying back what was heard unsure: a name or a birth date taken from a doubtful hearing is said with the
next question ("Jean Dupont, c'est noté. Quelle est la date de naissance ?"), so that a "non" corrects it at
once (`dialogue.flows.unsure`) instead of at the read-back, or never (the birth date is not read back).
"""

from __future__ import annotations

from dataclasses import replace

from dialogue.actions import Detail, Expect, Say
from dialogue.context import Context
from dialogue.flows.common import Heard, Result, expect_of
from dialogue.state import Echo, Phase, State
from dialogue.wording.spoken import say_birth_date

NAME = Detail.NAME
BIRTH = Detail.BIRTH

_SELF_CONFIRMING = frozenset({Phase.CALLER_IS_PATIENT})
"""Questions that confirm the detail themselves: the birth date matched a patient, who is named."""


def value_said(state: State, what: Detail, ctx: Context) -> str | None:
    """The detail as the agent says it ("Jean Dupont", "14 juillet 1982"), or `None` when it is not known."""
    patient = state.patient
    if what == BIRTH:
        return say_birth_date(patient.birth_date, ctx.phrases) if patient.birth_date else None
    name = " ".join(n for n in (patient.first_name, patient.last_name) if n)
    return name or None


def echo_line(state: State, what: Detail, ctx: Context) -> str | None:
    """The line saying the detail back ("Jean Dupont, c'est noté."), or `None` when it is not known."""
    value = value_said(state, what, ctx)
    if value is None:
        return None
    return ctx.phrases.get("echo.birth", born=value) if what == BIRTH else ctx.phrases.get("echo.name", name=value)


def noted(result: Result, heard: Heard, what: Detail, ctx: Context) -> Result:
    """`result` (the next question, after `what` was taken from `heard`), with the detail said back before
    the question when `heard` was unsure; unchanged when the question already says it (the read-back).
    """
    state, actions = result
    if not heard.unsure or state.outcome is not None or state.prompt is None or state.phase in _SELF_CONFIRMING:
        return result
    line, value = echo_line(state, what, ctx), value_said(state, what, ctx)
    spoken = [a.text for a in actions if isinstance(a, Say)]
    if line is None or value is None or any(value in text for text in spoken):
        return result
    first = state.prompt.lines[0] if state.prompt.lines else None
    at = next((i for i, a in enumerate(actions) if isinstance(a, Say) and a.text == first), len(actions) - 1)
    echoed = replace(state, echo=Echo(what, state.prompt))
    said = [*actions[:at], Say(line), *(expect_of(echoed) if isinstance(a, Expect) else a for a in actions[at:])]
    return echoed, said
