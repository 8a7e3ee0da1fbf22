"""A request for the practice: a prescription renewal, a certificate, test results or a callback.

The caller says what it is about (or picks it from a keypad menu), answers the booking's identity questions
(`dialogue.flows.identity`: birth date, name, callback number), hears the request read back and, after an
explicit yes, it is recorded through the port: a category and the patient's identity, never free text.
"""

from __future__ import annotations

from dataclasses import replace

from booking.errors import BookingError
from booking.records import PatientDetails, RequestCategory
from dialogue.actions import ExpectKind, OutcomeKind
from dialogue.context import Context
from dialogue.flows import identity, spelling
from dialogue.flows.booking import advance
from dialogue.flows.common import Heard, Result, ask, ask_more, finish, hand_over, yes_no
from dialogue.flows.request_recap import ask_category, ask_recap
from dialogue.flows.wish import absorb
from dialogue.state import Phase, State, Task, Wish
from dialogue.understand.choices import parse_menu_key
from dialogue.understand.intents import Intent, correction_target, detect_intent
from dialogue.understand.text import fold
from dialogue.understand.topics import parse_topic

CATEGORY_KEYS = (
    RequestCategory.RENEWAL,
    RequestCategory.CERTIFICATE,
    RequestCategory.RESULTS,
    RequestCategory.CALLBACK,
)
"""The topic menu: key 1 is a renewal, 4 a callback."""
FIX_KEYS = ("category", "name", "birth", "phone")
"""What to change after a no to the read-back: key 1 is the topic, 4 the number."""
_TOPIC_WORDS = {"fr": ("sujet", "demande", "motif", "raison"), "en": ("about", "request", "reason")}
"""Words naming the topic itself in "what should I change?"."""


def start(state: State, ctx: Context, text: str = "") -> Result:
    """Begin a request, with the topic `text` already names ("je voudrais qu'on me rappelle")."""
    category = parse_topic(text, ctx.locale) if text else None
    fresh = replace(
        state, task=Task.REQUEST, request_category=category, wish=Wish(), offers=(), seen=(), chosen=None, target=None
    )
    pre = [ctx.phrases.get("request.intro")]
    if category is None:
        return ask_category(fresh, ctx, pre)
    return identity.advance_identity(fresh, ctx, pre)


def on_category(state: State, heard: Heard, ctx: Context) -> Result | None:
    """The topic, spoken or keyed; "un rendez-vous" instead turns the call into a booking."""
    index = parse_menu_key(heard.digits, len(CATEGORY_KEYS))
    category = CATEGORY_KEYS[index] if index is not None else None
    if heard.text is not None:
        if detect_intent(heard.text, ctx.locale) is Intent.BOOK:
            wish = absorb(Wish(), heard.text, ctx)
            return advance(replace(state, task=Task.BOOK, wish=wish, request_category=None), ctx)
        category = parse_topic(heard.text, ctx.locale)
    if category is None:
        return None
    return identity.advance_identity(replace(state, request_category=category), ctx)


def on_confirm(state: State, heard: Heard, ctx: Context) -> Result | None:
    """Yes records the request; another topic ("non, c'est pour un certificat") is read back; no asks what to change."""
    answer = yes_no(heard, ctx)
    if heard.text is not None and answer is not True:
        topic = parse_topic(heard.text, ctx.locale)
        if topic is not None and topic is not state.request_category:
            return ask_recap(replace(state, request_category=topic), ctx, [ctx.phrases.get("ok")])
    if answer is None:
        return None
    if answer:
        return _record(state, ctx)
    if heard.text is not None and _fix_target(heard.text, ctx) is not None:
        return on_fix(state, heard, ctx)
    return ask_fix(state, ctx)


def _record(state: State, ctx: Context) -> Result:
    phrases, patient = ctx.phrases, state.patient
    assert state.request_category is not None and patient.birth_date is not None
    details = PatientDetails(
        patient.first_name or "", patient.last_name or "", patient.birth_date, patient.phone or state.caller_id or ""
    )
    try:
        record = ctx.port.leave_request(state.request_category, details, ctx.now)
    except BookingError:
        return hand_over(state, ctx, [phrases.get("done.failed")])
    return finish(state, OutcomeKind.REQUESTED, [phrases.get("request.done"), phrases.get("goodbye")], str(record.id))


def ask_fix(state: State, ctx: Context) -> Result:
    """Ask what to change after a no to the read-back."""
    phrases = ctx.phrases
    return ask(
        state,
        ctx,
        Phase.REQUEST_FIX,
        [phrases.get("request.fix_question")],
        ExpectKind.FREE,
        example=phrases.get("request.example.fix"),
        keypad=phrases.get("request.keypad.fix"),
    )


def _fix_target(text: str, ctx: Context) -> str | None:
    target = correction_target(text, ctx.locale)
    if target in ("name", "birth", "phone", "abandon"):
        return target
    folded = f" {fold(text)} "
    if target == "motif" or any(f" {word} " in folded for word in _TOPIC_WORDS.get(ctx.locale, ())):
        return "category"
    return None


def _reset(state: State, ctx: Context, target: str) -> Result:
    patient = state.patient
    if target == "abandon":
        dropped = replace(state, task=None, request_category=None)
        return ask_more(dropped, ctx, [ctx.phrases.get("request.nothing")])
    if target == "category":
        return ask_category(replace(state, request_category=None), ctx)
    if target == "birth":
        return identity.ask_birth(replace(state, patient=replace(patient, birth_date=None)), ctx, Phase.BIRTH)
    if target == "phone":
        return identity.ask_phone(replace(state, patient=replace(patient, phone=None)), ctx)
    # the name read back was misheard: its surname is spelled, the first name kept
    return spelling.ask_spelling(replace(state, caller_match_declined=True), ctx, Phase.NAME)


def on_fix(state: State, heard: Heard, ctx: Context) -> Result | None:
    """What to change: the topic, the name, the birth date or the number; or give up."""
    index = parse_menu_key(heard.digits, len(FIX_KEYS))
    if index is not None:
        return _reset(state, ctx, FIX_KEYS[index])
    if heard.text is None:
        return None
    topic = parse_topic(heard.text, ctx.locale)
    if topic is not None:
        return ask_recap(replace(state, request_category=topic), ctx, [ctx.phrases.get("ok")])
    target = _fix_target(heard.text, ctx)
    if target is not None:
        return _reset(state, ctx, target)
    if yes_no(heard, ctx) is False:
        return ask_recap(state, ctx)
    return None
