"""The dialogue manager: one pure step function from (state, event) to (new state, actions).

Deterministic: the time and the bookings come in through `Context` (no clock, environment or randomness is
read here), so a conversation replays identically in tests, in `voicebot chat` and on the phone.

When the appointment book cannot be reached (`booking.errors.BookingUnavailable`, whatever the phase), the
caller hears an apology and is handed to the staff or told when to call back (`flows.common.unavailable`).
"""

from __future__ import annotations

from dataclasses import fields, replace

from booking.errors import BookingUnavailable
from dialogue.actions import Action, Expect, ExpectKind, HangUp, Outcome, OutcomeKind, Say, Transfer
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.flows import answers, confirm, day_choice, general, identity, manage, request, spelling, unsure
from dialogue.flows.common import (
    Handler,
    Heard,
    Result,
    finish,
    give_up,
    goodbye,
    hand_over,
    question,
    reprompt,
    unavailable,
)
from dialogue.state import Phase, Prompt, State, Task
from dialogue.understand.intents import Intent, detect_intent, is_emergency
from dialogue.understand.refusal import is_refusal
from dialogue.understand.yesno import parse_yes_no
from dialogue.wording.phrases import Phrases

__all__ = ["Context", "State", "cannot_go_on", "step"]

HUMAN_KEY = "0"
REPEAT_KEY = "*"
REFUSE_KEY = "#"
"""Refuses any reuse of the call, like "je refuse". Free: digit entries end with "#" after their digits, and no
menu uses it; the voice layer passes a "#" pressed alone as `KeypadPressed("#")`."""
MAX_MISSES = 3
"""The loop bound, for every question: turns without progress (`State.misses`: not understood, `State.stalls`:
understood but changing nothing, such as the same answer again, a time not offered, "répétez"; and silences)
before giving up when the last was an answer. The question is asked twice more (a re-prompt, then with its
keypad menu); then the call goes to the staff while the practice is open, or ends saying when to call back
(`flows.common.give_up`). When the last answer was not understood at all, the call goes to the staff line
whatever the time, as it always has."""
MAX_SILENCES = 4
"""The same count, when the last turn was a silence: two re-prompts, the keypad, then a polite goodbye."""

HANDLERS: dict[Phase, Handler] = {
    Phase.OPEN: general.on_open,
    Phase.MORE: general.on_more,
    Phase.TRANSFER_OFFER: general.on_transfer_offer,
    Phase.EMERGENCY: general.on_emergency,
    Phase.PRACTITIONER: answers.on_practitioner,
    Phase.WHICH_PRACTITIONER: answers.on_which,
    Phase.MOTIF: answers.on_motif,
    Phase.KNOWN_PATIENT: answers.on_known_patient,
    Phase.ALT_MOTIF: answers.on_alt_motif,
    Phase.WHEN: answers.on_when,
    Phase.DAY_CHOICE: day_choice.on_day_choice,
    Phase.OFFER: answers.on_offer,
    Phase.BIRTH: identity.on_birth,
    Phase.CALLER_IS_PATIENT: identity.on_caller_is_patient,
    Phase.NAME: spelling.spelled_or(identity.on_name),
    Phase.FIRST_NAME: identity.on_first_name,
    Phase.PHONE_CONFIRM: identity.on_phone_confirm,
    Phase.PHONE: identity.on_phone,
    Phase.MOBILE: identity.on_mobile,
    Phase.CONFIRM: confirm.after_read_back(confirm.on_confirm),
    Phase.FIX: confirm.on_fix,
    Phase.FIND_NAME: spelling.spelled_or(manage.on_find_name),
    Phase.FIND_BIRTH: manage.on_find_birth,
    Phase.FIND_RETRY: manage.on_find_retry,
    Phase.PICK: manage.on_pick,
    Phase.CANCEL_CONFIRM: confirm.after_read_back(manage.on_cancel_confirm),
    Phase.REQUEST_CATEGORY: request.on_category,
    Phase.REQUEST_CONFIRM: confirm.after_read_back(request.on_confirm),
    Phase.REQUEST_FIX: request.on_fix,
}

_SWITCHES = {Intent.CANCEL: Task.CANCEL, Intent.MOVE: Task.MOVE}
"""Requests that leave an unfinished task for another one ("en fait, je voudrais annuler")."""


def step(state: State, event: Event, ctx: Context) -> tuple[State, list[Action]]:
    """Advance the conversation by one event.

    Args:
        state: The state after the previous step (`State()` before the call starts).
        event: What just happened on the line.
        ctx: The current time, the booking port, the clinic and the wording.

    Returns:
        The new state and the actions to perform, in order. Once a `HangUp` or `Transfer` has been returned
        the call is over: later events return the state unchanged and no actions.
    """
    if state.outcome is not None:
        return state, []
    try:
        new, actions = _step(state, event, ctx)
    except BookingUnavailable:  # the failed call wrote nothing: the same apology and way out in every phase
        new, actions = unavailable(state, ctx)
    if new.outcome is None or not new.find_failures:
        return new, actions
    outcome = replace(new.outcome, identity_failures=new.find_failures)
    ends = [replace(a, outcome=outcome) if isinstance(a, HangUp | Transfer) else a for a in actions]
    return replace(new, outcome=outcome), ends


def cannot_go_on(state: State, ctx: Context | None, phrases: Phrases) -> tuple[State, list[Action]]:
    """End a call whose steps keep failing (the voice layer gives up after two in a row).

    Args:
        state: The state after the last step that returned.
        ctx: The call's context; `None` when the practice itself could not be read.
        phrases: The call's wording (used without a context).

    Returns:
        An apology, then the staff or when to call back (`flows.common.unavailable`); without a context, the
        apology and "call back a little later". No actions once the call has ended.
    """
    if state.outcome is not None:
        return state, []
    if ctx is not None:
        return unavailable(state, ctx, "unavailable.failing")
    lines = [phrases.get("unavailable.failing"), phrases.get("unavailable.later"), phrases.get("goodbye")]
    return finish(state, OutcomeKind.GOODBYE, lines)


def _step(state: State, event: Event, ctx: Context) -> Result:
    if isinstance(event, CallerHungUp):
        outcome = Outcome(OutcomeKind.HUNG_UP)
        return replace(state, phase=Phase.ENDED, outcome=outcome, prompt=None), [HangUp(outcome)]
    if isinstance(event, CallStarted):
        return general.greet(State(), ctx, event.caller_id)
    if state.phase is Phase.START:
        return general.greet(state, ctx, None)
    if isinstance(event, NoInput):
        return _silence(state, ctx)
    if isinstance(event, KeypadPressed):
        return _keys(state, event.digits, ctx)
    return _speech(state, event, ctx)


def _keys(state: State, digits: str, ctx: Context) -> Result:
    keys = digits.strip()
    state = replace(state, keypad_mode=True)
    if keys == HUMAN_KEY:
        return hand_over(state, ctx)
    if keys == REPEAT_KEY:
        return _settle(state, reprompt(state, []), ctx)
    if keys == REFUSE_KEY:
        return _refuse(state, ctx)
    return _dispatch(state, Heard(digits=keys), ctx, None)


def _speech(state: State, event: CallerSaid, ctx: Context) -> Result:
    text = event.text.strip()
    if not text:
        return _silence(state, ctx)
    state = replace(state, keypad_mode=False)
    locale = ctx.locale
    intent = detect_intent(text, locale)
    if intent is Intent.EMERGENCY or is_emergency(text, locale):
        return _settle(state, general.emergency(state, ctx), ctx)
    if is_refusal(text, locale):
        return _refuse(state, ctx)
    if event.confidence is not None and event.confidence < ctx.min_confidence:
        return _miss(state, ctx)
    if intent is Intent.HUMAN:
        return hand_over(state, ctx)
    if intent is Intent.REPEAT:
        return _settle(state, reprompt(state, []), ctx)
    if intent is Intent.RESTART:
        fresh = State(
            caller_id=state.caller_id,
            caller_patients=state.caller_patients,
            find_failures=state.find_failures,
            reuse_refused=state.reuse_refused,
        )
        return _settle(state, general.ask_open(fresh, ctx, [ctx.phrases.get("restart")]), ctx)
    if intent is Intent.GOODBYE and parse_yes_no(text, locale) is not True:
        return goodbye(state, ctx)
    switch = _SWITCHES.get(intent) if intent is not None else None
    asking_yes_no = state.prompt is not None and state.prompt.expect is ExpectKind.YES_NO
    if switch is not None and state.task not in (None, switch) and not asking_yes_no:
        return _settle(state, general.begin(state, ctx, switch, text), ctx)
    heard = Heard(text=text, barged_in=event.barged_in, unsure=event.unsure)
    return _dispatch(state, heard, ctx, intent, event.alternatives)


def _dispatch(
    state: State, heard: Heard, ctx: Context, intent: Intent | None, alternatives: tuple[str, ...] = ()
) -> Result:
    handler = HANDLERS.get(state.phase)
    result = None
    if handler is not None:
        others = (Heard(text=t.strip(), barged_in=heard.barged_in, unsure=True) for t in alternatives if t.strip())
        for said in (heard, *others):  # another hypothesis than the best is never sure
            result = unsure.on_echoed(state, said, ctx) or handler(replace(state, echo=None), said, ctx)
            if result is not None:
                break
    if result is None and intent in (Intent.INFO_HOURS, Intent.INFO_ADDRESS):
        result = reprompt(state, general.info_lines(intent, ctx))
    return _miss(state, ctx) if result is None else _settle(state, result, ctx)


_BOOKKEEPING = frozenset(
    "phase prompt echo visited keypad_mode no_input misses stalls seen outcome reuse_refused".split()
)
"""The state's fields that say how the conversation goes, not what it has found out (a refusal is no progress)."""


def _refuse(state: State, ctx: Context) -> Result:
    """The caller refused any reuse of the call: say it is noted, then the question again.

    Neither progress nor a miss (the loop bound's counters stay as they were), and nothing booked changes.
    """
    refused = replace(state, reuse_refused=True)
    return refused, [Say(ctx.phrases.get("privacy.refused")), *question(refused)]


def _point(state: State) -> int:
    """Where the call stands: what it has found out (task, wish, offers, choice, patient, target...) and the
    question asked.
    """
    substance = tuple(getattr(state, f.name) for f in fields(state) if f.name not in _BOOKKEEPING)
    return hash((substance, state.prompt))


def _settle(before: State, result: Result, ctx: Context) -> Result:
    """Apply the loop bound to the answer to `before`'s question.

    Progress is a new question, asked from a point the call has never been at (`_point`). The same question
    again (even with a detail taken in on the way), or a round back to an earlier point (a read-back, "what
    should I change?", "no", the read-back again), is a stall.
    """
    after, actions = result
    if after.outcome is not None:
        return result
    here = _point(after)
    visited = before.visited | {_point(before), here}
    if after.prompt != before.prompt and here not in before.visited:
        return replace(after, misses=0, stalls=0, no_input=0, visited=visited), actions
    after = replace(after, misses=before.misses, stalls=before.stalls + 1, no_input=before.no_input, visited=visited)
    failed = _failed(after)
    if failed >= MAX_MISSES:
        return give_up(after, ctx)
    if failed < MAX_MISSES - 1 or after.prompt is None or not after.prompt.keypad:
        return after, actions
    menu = Say(after.prompt.keypad)
    if menu in actions or not actions or not isinstance(actions[-1], Expect):
        return after, actions
    return after, [*actions[:-1], menu, actions[-1]]


def _miss(state: State, ctx: Context) -> Result:
    phrases = ctx.phrases
    state = replace(state, misses=state.misses + 1)
    misses = _failed(state)
    prompt = state.prompt or Prompt((), ExpectKind.FREE)
    if misses >= MAX_MISSES:  # misunderstood to the end: a person, as before the loop bound
        return hand_over(state, ctx, [phrases.get("misunderstood.give_up")])
    if misses == 1:
        return reprompt(state, [phrases.get("misunderstood.first"), *([prompt.example] if prompt.example else [])])
    return reprompt(state, [phrases.get("misunderstood.again")], with_keypad=True)


def _silence(state: State, ctx: Context) -> Result:
    phrases = ctx.phrases
    state = replace(state, no_input=state.no_input + 1)
    silences = _failed(state)
    if silences >= MAX_SILENCES:
        return finish(state, OutcomeKind.NO_INPUT, [phrases.get("silence.give_up")])
    if silences < MAX_SILENCES - 1:
        return reprompt(state, [phrases.get("silence.again")])
    return reprompt(state, [phrases.get("silence.keypad")], with_keypad=True)


def _failed(state: State) -> int:
    """The turns without progress on the current question: silences, misunderstandings and stalls."""
    return state.no_input + state.misses + state.stalls
