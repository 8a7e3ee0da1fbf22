"""The dialogue manager: one pure step function from (state, event) to (new state, actions).

Deterministic: the time and the bookings come in through `Context` (no clock, environment or randomness is
read here), so a conversation replays identically in tests, in `voicebot chat` and on the phone.
"""

from __future__ import annotations

from dataclasses import replace

from dialogue.actions import Action, ExpectKind, HangUp, Outcome, OutcomeKind
from dialogue.context import Context
from dialogue.events import CallerHungUp, CallerSaid, CallStarted, Event, KeypadPressed, NoInput
from dialogue.flows import answers, confirm, general, identity, manage
from dialogue.flows.common import Handler, Heard, Result, finish, goodbye, hand_over, reprompt
from dialogue.state import Phase, Prompt, State, Task
from dialogue.understand.intents import Intent, detect_intent, is_emergency
from dialogue.understand.yesno import parse_yes_no

__all__ = ["Context", "State", "step"]

HUMAN_KEY = "0"
REPEAT_KEY = "*"
MAX_SILENCES = 4
"""Silences before a polite goodbye: two re-prompts, then the keypad is offered, then goodbye."""
MAX_MISSES = 3
"""Misunderstandings before a transfer: a re-prompt with an example, then the keypad, then a person."""

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
    Phase.OFFER: answers.on_offer,
    Phase.BIRTH: identity.on_birth,
    Phase.CALLER_IS_PATIENT: identity.on_caller_is_patient,
    Phase.NAME: identity.on_name,
    Phase.FIRST_NAME: identity.on_first_name,
    Phase.PHONE_CONFIRM: identity.on_phone_confirm,
    Phase.PHONE: identity.on_phone,
    Phase.CONFIRM: confirm.on_confirm,
    Phase.FIX: confirm.on_fix,
    Phase.FIND_NAME: manage.on_find_name,
    Phase.FIND_BIRTH: manage.on_find_birth,
    Phase.FIND_RETRY: manage.on_find_retry,
    Phase.PICK: manage.on_pick,
    Phase.CANCEL_CONFIRM: manage.on_cancel_confirm,
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
        return reprompt(replace(state, no_input=0), [])
    return _dispatch(state, Heard(digits=keys), ctx, None)


def _speech(state: State, event: CallerSaid, ctx: Context) -> Result:
    text = event.text.strip()
    if not text:
        return _silence(state, ctx)
    state = replace(state, keypad_mode=False)
    locale = ctx.locale
    intent = detect_intent(text, locale)
    if intent is Intent.EMERGENCY or is_emergency(text, locale):
        return general.emergency(state, ctx)
    if event.confidence is not None and event.confidence < ctx.min_confidence:
        return _miss(state, ctx)
    if intent is Intent.HUMAN:
        return hand_over(state, ctx)
    if intent is Intent.REPEAT:
        return reprompt(replace(state, no_input=0), [])
    if intent is Intent.RESTART:
        fresh = State(caller_id=state.caller_id, caller_patients=state.caller_patients)
        return general.ask_open(fresh, ctx, [ctx.phrases.get("restart")])
    if intent is Intent.GOODBYE and parse_yes_no(text, locale) is not True:
        return goodbye(state, ctx)
    switch = _SWITCHES.get(intent) if intent is not None else None
    asking_yes_no = state.prompt is not None and state.prompt.expect is ExpectKind.YES_NO
    if switch is not None and state.task not in (None, switch) and not asking_yes_no:
        return general.begin(state, ctx, switch, text)
    return _dispatch(state, Heard(text=text), ctx, intent)


def _dispatch(state: State, heard: Heard, ctx: Context, intent: Intent | None) -> Result:
    handler = HANDLERS.get(state.phase)
    result = handler(replace(state, misses=0, no_input=0), heard, ctx) if handler else None
    if result is not None:
        return result
    if intent in (Intent.INFO_HOURS, Intent.INFO_ADDRESS):
        return reprompt(replace(state, no_input=0), general.info_lines(intent, ctx))
    return _miss(state, ctx)


def _miss(state: State, ctx: Context) -> Result:
    phrases = ctx.phrases
    misses = state.misses + 1
    state = replace(state, misses=misses, no_input=0)
    prompt = state.prompt or Prompt((), ExpectKind.FREE)
    if misses >= MAX_MISSES:
        return hand_over(state, ctx, [phrases.get("misunderstood.give_up")])
    if misses == 1:
        return reprompt(state, [phrases.get("misunderstood.first"), *([prompt.example] if prompt.example else [])])
    return reprompt(state, [phrases.get("misunderstood.again")], with_keypad=True)


def _silence(state: State, ctx: Context) -> Result:
    phrases = ctx.phrases
    silences = state.no_input + 1
    state = replace(state, no_input=silences)
    if silences >= MAX_SILENCES:
        return finish(state, OutcomeKind.NO_INPUT, [phrases.get("silence.give_up")])
    if silences < MAX_SILENCES - 1:
        return reprompt(state, [phrases.get("silence.again")])
    return reprompt(state, [phrases.get("silence.keypad")], with_keypad=True)
