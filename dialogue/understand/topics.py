"""What a request for the practice is about: a prescription renewal, a certificate, test results or a callback.

`parse_topic` returns the most specific topic heard ("qu'on me rappelle pour mes résultats" is about results),
`REQUEST_WORDS` matches any request, including a plain "je voudrais laisser un message" (no topic yet).
Words about an appointment are the intents' business: "un rendez-vous pour mon ordonnance" is a booking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from booking.records import RequestCategory
from dialogue.understand.text import lang_of, plain


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_TOPICS: Mapping[str, tuple[tuple[RequestCategory, re.Pattern[str]], ...]] = {
    "fr": (
        (RequestCategory.RENEWAL, _any(r"renouvel\w*", r"ordonnances?", r"prescriptions?")),
        (
            RequestCategory.CERTIFICATE,
            _any(r"certificats?", r"attestations?", r"arrets? (?:de )?travail", r"arrets? maladie"),
        ),
        (RequestCategory.RESULTS, _any(r"resultats?", r"(?:mes|ses|les|des|d) analyses")),
        (
            RequestCategory.CALLBACK,
            _any(
                r"(?:qu on|que l on|qu il|qu elle|que quelqu un|quelqu un|que le cabinet|que le docteur|que le medecin"
                r"|que la secretaire|que vous) (?:me|nous|le|la) rappel\w*",
                r"(?:me|nous) rappeler",
                r"(?:etre|soit|sois) rappelee?s?",
                r"rappelez moi",
                r"etre recontacte\w*",
                r"(?:me|nous) recontacter",
            ),
        ),
    ),
    "en": (
        (
            RequestCategory.RENEWAL,
            _any(r"(?:repeat )?prescriptions?", r"renew\w*", r"refill\w*", r"repeat medication"),
        ),
        (
            RequestCategory.CERTIFICATE,
            _any(r"sick notes?", r"fit notes?", r"certificates?", r"doctor s note", r"medical note"),
        ),
        (RequestCategory.RESULTS, _any(r"results?")),
        (
            RequestCategory.CALLBACK,
            _any(
                r"(?:call|ring|phone) me back",
                r"call back",
                r"callback",
                r"get back to me",
                r"(?:someone|somebody|the doctor|a doctor|the surgery) (?:to )?(?:call|ring|phone) me",
            ),
        ),
    ),
}
LEAVE_MESSAGE: Mapping[str, re.Pattern[str]] = {
    "fr": _any(r"laisser un message", r"un message pour", r"une demande pour le cabinet", r"laisser une demande"),
    "en": _any(r"leave a (?:message|request)", r"a message for"),
}
"""Leaving a message ("laisser une demande pour le secrétariat"): a request, even when it names the staff."""
REQUEST_WORDS: Mapping[str, re.Pattern[str]] = {
    lang: re.compile("|".join([*(p.pattern for _, p in topics), LEAVE_MESSAGE[lang].pattern]))
    for lang, topics in _TOPICS.items()
}
"""Any request for the practice, with or without a topic (the intents' REQUEST)."""


def parse_topic(text: str, locale: str) -> RequestCategory | None:
    """The topic of a request, the most specific first; `None` when no topic is heard.

    Args:
        text: The caller's words ("je voudrais renouveler mon ordonnance", "can someone call me back").
        locale: "fr" or "en".
    """
    words = plain(text)
    for category, pattern in _TOPICS[lang_of(locale)]:
        if pattern.search(words):
            return category
    return None
