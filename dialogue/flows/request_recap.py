"""The questions that close a request for the practice: what it is about, then the read-back.

Kept apart from `dialogue.flows.request` so that the identity questions (`dialogue.flows.identity`), which
end with the read-back, import it without a circle.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogue.actions import ExpectKind
from dialogue.context import Context
from dialogue.flows.common import Result, ask
from dialogue.state import Phase, State
from dialogue.wording.spoken import say_birth_date, say_phone_tail, say_spelled


def ask_category(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Ask what the request is about, with the four topics as a keypad menu."""
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.REQUEST_CATEGORY,
        [phrases.get("request.category_question")],
        ExpectKind.FREE,
        pre=pre,
        example=phrases.get("request.example.category"),
        keypad=phrases.get("request.keypad.category"),
        answers=phrases.words("answers.topics"),
    )


def after_identity(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """Once the patient and the callback number are known: the topic if still missing, then the read-back."""
    if state.request_category is None:
        return ask_category(state, ctx, pre)
    return ask_recap(state, ctx, pre)


def ask_recap(state: State, ctx: Context, pre: Sequence[str] = ()) -> Result:
    """The read-back: "Je récapitule : une demande de rappel, pour …"; nothing is recorded before a yes."""
    phrases = ctx.phrases
    patient, category = state.patient, state.request_category
    assert category is not None and patient.birth_date is not None and patient.phone is not None
    recap = phrases.get(
        "request.recap",
        category=phrases.get(f"request.categories.{category.value}"),
        name=" ".join(n for n in (patient.first_name, patient.last_name) if n),
        spelled=say_spelled(patient.last_name or ""),
        born=say_birth_date(patient.birth_date, phrases),
        tail=say_phone_tail(patient.phone, phrases),
    )
    question = phrases.get("request.question")
    return ask(state, ctx, Phase.REQUEST_CONFIRM, [recap, question], ExpectKind.YES_NO, pre=pre)
