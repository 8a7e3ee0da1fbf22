"""Pseudonymising a call's transcript with what the dialogue itself found out (pure).

The voice layer merges `facts_of(state)` after every step (each step's state knows the name, birth date or
number heard at that turn, even one later corrected), then stores `pseudonymise(lines, facts, locale)`:

* names: every word of every name, matched without case or accents on word boundaries, the whole compound
  ("Le Goff": "Le" alone is left, it is an article), and spelled ("D, U, P, O, N, T") → ⟨NAME⟩. A practitioner
  who shares a patient's name ("docteur Martin" and a patient Martin) is replaced too: privacy first;
* birth dates, in every form the bot says and callers or Whisper write (see `dialogue.privacy_forms`) →
  ⟨BIRTH_DATE⟩;
* phone numbers, whole or their last four digits as the bot reads them back → ⟨PHONE⟩;
* references → ⟨REFERENCE⟩;
* then any run of 4 digits or more left (separators allowed): ⟨BIRTH_DATE⟩ for a date of 8 digits, ⟨PHONE⟩ for 8
  digits or more, ⟨NUMBER⟩ for 4 to 7; kept: years ("2026"), times ("10h30", "10 h 30", "10.30") and days
  ("mardi 8 décembre", keyed "0312"). An appointment's day and time are not personal.

Keypad lines ("dtmf:14071982") are read the same way. Several placeholders of one kind in a row become one
("⟨NAME⟩ ⟨NAME⟩" → "⟨NAME⟩").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from booking.records import AppointmentRecord, PatientDetails
from dialogue.privacy_forms import (
    Form,
    birth_forms,
    leftover_spans,
    name_forms,
    phone_forms,
    reference_forms,
)
from dialogue.privacy_view import replace_spans, view_of
from dialogue.state import State

__all__ = ["CallFacts", "facts_of", "pseudonymise"]

_REPEATED = re.compile(r"(⟨[A-Z_]+⟩)(?:[\s,.\-]*\1)+")


@dataclass(frozen=True)
class CallFacts:
    """Everything personal a call's dialogue held at some step: what its transcript must not keep."""

    names: frozenset[str]
    """Patients' names as the dialogue held them: first names, last names, or both ("Jean Dupont")."""
    birth_dates: frozenset[date]
    phones: frozenset[str]
    """Numbers in E.164 ("+33612345678")."""
    references: frozenset[str]
    """Appointment references ("100042")."""

    @classmethod
    def empty(cls) -> CallFacts:
        """No facts (the start of a call)."""
        return cls(frozenset(), frozenset(), frozenset(), frozenset())

    def merge(self, other: CallFacts) -> CallFacts:
        """The facts of both."""
        return CallFacts(
            self.names | other.names,
            self.birth_dates | other.birth_dates,
            self.phones | other.phones,
            self.references | other.references,
        )


def _people(details: Iterable[PatientDetails]) -> CallFacts:
    found = list(details)
    return CallFacts(
        frozenset(n for d in found for n in (d.first_name, d.last_name) if n),
        frozenset(d.birth_date for d in found),
        frozenset(d.phone for d in found if d.phone),
        frozenset(),
    )


def facts_of(state: State) -> CallFacts:
    """What `state` holds about people: the patient collected, names said back and refused, the patients of
    the caller's number, the appointments found and their references, the caller id.
    """
    patient = state.patient
    appointments: list[AppointmentRecord] = [*state.appointments, *([state.target] if state.target else [])]
    known = _people([*(r.details for r in state.caller_patients), *(a.patient for a in appointments)])
    references = {a.reference for a in appointments}
    if state.outcome is not None and state.outcome.reference:
        references.add(state.outcome.reference)
    own = CallFacts(
        frozenset(n for n in (patient.first_name, patient.last_name, *state.refused_names) if n),
        frozenset(d for d in (patient.birth_date,) if d is not None),
        frozenset(p for p in (patient.phone, state.caller_id) if p),
        frozenset(references),
    )
    return own.merge(known)


def _apply(line: str, forms: Sequence[Form], locale: str) -> str:
    """`line` with what `forms` find in its view replaced."""
    if not forms:
        return line
    view = view_of(line, locale)
    spans = []
    for form in forms:
        for match in form.pattern.finditer(view.text):
            if match.end() > match.start() and (form.keep is None or not form.keep(view.text, match)):
                spans.append((*view.span(match.start(), match.end()), form.kind))
    return replace_spans(line, spans)


def _leftovers(line: str, locale: str) -> str:
    view = view_of(line, locale)
    spans = [(*view.span(start, end), kind) for start, end, kind in leftover_spans(view.text)]
    return replace_spans(line, spans)


def pseudonymise(lines: Sequence[tuple[str, str]], facts: CallFacts, locale: str) -> list[tuple[str, str]]:
    """The (speaker, text) lines of a call with names, birth dates, phones and references replaced by typed
    placeholders, then leftover runs of digits (see the module's docstring); the speakers are kept.

    Args:
        lines: The call's lines in order: ("bot" or "caller", text); keys as "dtmf:123".
        facts: The merged `facts_of` every step of the call.
        locale: "fr" or "en": how numbers in words and spelled letters are read.
    """
    passes = [
        reference_forms(facts.references),
        birth_forms(facts.birth_dates),
        phone_forms(facts.phones),
        name_forms(facts.names, locale),
    ]
    out = []
    for speaker, text in lines:
        for forms in passes:
            text = _apply(text, forms, locale)
        text = _REPEATED.sub(r"\1", _leftovers(text, locale))
        out.append((speaker, text))
    return out
