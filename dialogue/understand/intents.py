"""What a caller wants to do ("prendre rendez-vous", "cancel my appointment"), and medical emergencies.

`detect_intent` checks intents in a fixed priority order and returns the first that matches:
EMERGENCY, HUMAN, MOVE, CANCEL, GOODBYE (explicit: "c'est tout", "je rappellerai plus tard"), RESTART,
REPEAT, LATER, EARLIER, INFO_HOURS, INFO_ADDRESS, BOOK, REQUEST (a message for the practice:
`dialogue.understand.topics`), GOODBYE (plain "au revoir", "bye").
So "annuler et reprendre un autre rendez-vous" is MOVE, and "un rendez-vous plus tard" is LATER (the
dialogue treats LATER at the start of a call as booking). "Le plus tôt possible" is not EARLIER: it is a
wish about dates, for `parse_when`. "Renouveler mon ordonnance sans rendez-vous" is a REQUEST, "un rendez-vous
pour mon ordonnance" a BOOK, and "laisser un message pour la secrétaire" a REQUEST, not HUMAN.

`is_emergency` favours recall over precision: "je n'ai pas mal à la poitrine" still counts, because the
cost of missing an emergency is far higher than an unneeded "call 15 / 999" message. "Mal au cœur" (nausea
in French) and "c'est urgent" (a same-day appointment) are not emergencies. Key phrases are matched in
their common forms ("perdre / perd / a perdu connaissance", "s'est évanouie", "passes / passed / passing
out"), and "fitting me in" (a booking) is not a fit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from dialogue.understand.text import fold, lang_of, plain
from dialogue.understand.topics import LEAVE_MESSAGE, REQUEST_WORDS


class Intent(enum.Enum):
    """What the caller wants to do."""

    BOOK = "book"
    CANCEL = "cancel"
    MOVE = "move"
    INFO_HOURS = "info_hours"
    INFO_ADDRESS = "info_address"
    HUMAN = "human"
    EMERGENCY = "emergency"
    REPEAT = "repeat"
    RESTART = "restart"
    GOODBYE = "goodbye"
    LATER = "later"
    """Other, later slots: "plus tard", "un autre jour", "something later", "another day"."""
    EARLIER = "earlier"
    """Earlier slots: "plus tôt", "something earlier"."""
    REQUEST = "request"
    """A request for the practice, no appointment: a renewal, a certificate, results, a callback."""


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_EMERGENCY = {
    "fr": _any(
        r"(?:douleur|mal|serrement|oppression|poids|pression|brulure)s? (?:a|dans|sur|au niveau de) (?:la|ma|sa) "
        r"poitrine",
        r"douleurs? (?:au|dans le) (?:thorax|coeur)",
        r"mal au thorax",
        r"douleurs? thoraciques?",
        r"(?:n |ne )?(?:arrive|arrivons|arrivent|arrivait|peut|peux|pouvait|pouvons|peuvent|parvient) (?:pas|plus)"
        r" (?:a )?respirer",
        r"(?:du )?mal a respirer",
        r"difficultes? (?:a respirer|respiratoires?)",
        r"detresse respiratoire",
        r"(?:ne )?respire (?:plus|pas|mal|difficilement)",
        r"(?:s )?etouff\w*",
        r"suffoqu\w*",
        r"(?:s )?etrangl\w*",
        r"inconscient(?:e)?s?",
        r"(?:perd\w*|perdu\w*) connaissance",
        r"sans connaissance",
        r"evanou\w*",
        r"tombe(?:e)? dans les pommes",
        r"(?:ne )?se reveille (?:pas|plus)",
        r"(?:ne )?bouge plus",
        r"(?:ne )?reagit (?:plus|pas)",
        r"malaises?",
        r"saign\w* (?:beaucoup|abondamment|enormement|sans arret|fort|tres fort)",
        r"(?:perd|perdu) beaucoup de sang",
        r"hemorragie",
        r"avc",
        r"attaque cerebrale",
        r"paralyse(?:e)?",
        r"paralysie",
        r"visage (?:paralyse|qui tombe|de travers)",
        r"bouche de travers",
        r"crise cardiaque",
        r"infarctus",
        r"arret cardiaque",
        r"convuls\w*",
        r"crise d epilepsie",
        r"overdos\w*",
        r"(?:me|se|te|nous|vous) suicider",
        r"suicid\w*",
        r"(?:me|se) tuer",
        r"en finir",
        r"mettre fin a (?:mes|ses) jours",
        r"urgence vitale",
        r"samu",
        r"ambulance",
        r"pompiers",
        r"choc anaphylactique",
        r"gorge (?:qui gonfle|gonflee)",
        r"levres gonflees",
        r"(?:appeler|faire|appelez) le 15",
    ),
    "en": _any(
        r"chest pains?",
        r"pains? in (?:my|his|her|the|their) chest",
        r"(?:my|his|her) chest (?:hurts|is tight)",
        r"tight(?:ness in the)? chest",
        r"can ?t breathe",
        r"cannot breathe",
        r"can not breathe",
        r"couldn ?t breathe",
        r"(?:struggling|unable|hard) to breathe",
        r"(?:trouble|difficulty) breathing",
        r"(?:not|isn ?t|stopped|s not) breathing",
        r"choking",
        r"unconscious",
        r"unresponsive",
        r"pass(?:ed|es|ing)? out",
        r"black(?:ed|s|ing)? out",
        r"faint(?:ed|ing|s)",
        r"feel(?:s|ing)? faint",
        r"collaps(?:ed|es|ing)",
        r"won ?t wake up",
        r"not waking up",
        r"can ?t wake (?:him|her|them)",
        r"bleed(?:ing|s)? (?:heavily|a lot|badly|profusely)",
        r"won ?t stop bleeding",
        r"lots? of blood",
        r"stroke",
        r"paraly[sz]ed",
        r"face (?:is )?drooping",
        r"heart attack",
        r"cardiac arrest",
        r"seizures?",
        r"fitting(?! (?:\w+ )?in\b)",
        r"having (?:a )?fits?",
        r"convuls\w*",
        r"overdos\w*",
        r"suicid\w*",
        r"kill(?:ing)? (?:my|him|her|them)sel(?:f|ves)",
        r"end (?:my|his|her) life",
        r"take (?:my|his|her) own life",
        r"anaphyla(?:xis|ctic)",
        r"throat (?:is )?swelling",
        r"ambulance",
        r"999",
        r"911",
        r"112",
    ),
}
_FR_RULES = (
    (
        Intent.HUMAN,
        _any(
            r"parler (?:a|avec|au|aux) (?:quelqu un|une personne|un humain|un etre humain|la secretaire|le secretariat"
            r"|l accueil|un conseiller|une conseillere|un operateur|une operatrice|le medecin|le docteur|un medecin"
            r"|medecin|docteur)",
            r"(?:une )?vraie personne",
            r"(?:un )?humain",
            r"secretaire",
            r"secretariat",
            r"standard(?:iste)?",
            r"operat(?:eur|rice)",
            r"passez moi",
            r"transferez moi",
            r"un conseiller",
        ),
    ),
    (
        Intent.MOVE,
        _any(
            r"deplacer",
            r"decaler",
            r"reporter",
            r"repousser",
            r"changer (?:de|mon|le|l heure|la date)",
            r"modifier",
            r"avancer (?:mon|le) (?:rendez vous|rdv)",
            r"(?:annuler|annule) et (?:reprendre|en prendre)",
            r"un autre (?:rendez vous|rdv) a la place",
        ),
    ),
    (
        Intent.CANCEL,
        _any(
            r"r?annuler|granuler",  # Whisper on the phone line: "je voudrais rannuler (granuler) mon rendez-vous"
            r"annulation",
            r"annule",
            r"decommander",
            r"(?:ne|n) (?:pourrai|pourrais|pourra) pas venir",
            r"je ne viendrai pas",
            r"supprimer (?:mon|le) (?:rendez vous|rdv)",
        ),
    ),
    (
        Intent.GOODBYE,
        _any(
            r"c est tout",
            r"ce sera tout",
            r"rien d autre",
            r"(?:je )?(?:vais )?rappeler? plus tard",
            r"je rappellerai",
            r"je vais raccrocher",
        ),
    ),
    (
        Intent.RESTART,
        _any(
            r"recommencer",
            r"on recommence",
            r"reprendre (?:depuis le|du|au) debut",
            r"reprendre a zero",
            r"depuis le debut",
            r"tout reprendre",
            r"repartir de zero",
        ),
    ),
    (
        Intent.REPEAT,
        _any(
            r"repeter",
            r"repetez",
            r"repete",
            r"redire",
            r"redites",
            r"^pardonn?e?$",  # "Pardon ?" as Whisper writes it on the line: "Pardonne !"
            r"^comment$",
            r"^quoi$",
            r"^hein$",
            r"pas compris",
            r"pas entendu",
            r"pas bien entendu",
            r"vous pouvez reprendre",
        ),
    ),
    (
        Intent.LATER,
        _any(
            r"(?<!au )plus tard",
            r"^plutat$",  # "Plus tard !" as Whisper writes it on the line ("plutôt" folds to "plutot")
            r"un autre (?:jour|moment|creneau|horaire|date)",
            r"une autre (?:date|heure|fois)",
            r"autre chose",
            r"d autres (?:creneaux|horaires|dates|disponibilites)",
            r"apres ca",
        ),
    ),
    (Intent.EARLIER, _any(r"(?<!le )(?<!au )plus tot", r"avant ca", r"un peu avant", r"quelque chose avant")),
    (
        Intent.INFO_HOURS,
        _any(
            r"horaires?",
            r"heures? d ouverture",
            r"(?:etes|etes vous|vous etes) ouverts?",
            r"ouvrez",
            r"fermez",
            r"ferme a quelle heure",
            r"ouvert (?:le|la|aujourd|demain|quand)",
        ),
    ),
    (
        Intent.INFO_ADDRESS,
        _any(
            r"adresse",
            r"ou (?:etes vous|vous etes|se trouve|vous trouvez|est le cabinet)",
            r"itineraire",
            r"comment (?:venir|aller|vous trouver|on vient)",
            r"acces",
            r"se garer",
            r"parking",
            r"metro",
        ),
    ),
    (
        Intent.BOOK,
        _any(
            r"(?<!sans )rendez vous",
            r"(?<!sans )rdv",
            r"prendre (?:un )?rendez",
            r"consultation",
            r"consulter",
            r"reserver",
            r"voir (?:le|un|une|la) (?:docteur|medecin|pediatre|sage femme|generaliste)",
            r"une place",
            r"un creneau",
            r"vaccin",
            r"frottis",
        ),
    ),
    (Intent.REQUEST, REQUEST_WORDS["fr"]),
    (Intent.GOODBYE, _any(r"au revoir", r"bonne (?:journee|soiree|fin de journee)", r"a bientot", r"salut", r"bye")),
)
_EN_RULES = (
    (
        Intent.HUMAN,
        _any(
            r"(?:talk|speak) (?:to|with) (?:someone|somebody|a person|a human|a real person|reception|the receptionist"
            r"|a receptionist|the doctor|a doctor|staff|anyone)",
            r"real person",
            r"human",
            r"receptionist",
            r"operator",
            r"put me through",
            r"transfer me",
        ),
    ),
    (
        Intent.MOVE,
        _any(
            r"reschedule",
            r"re schedule",
            r"rearrange",
            r"move (?:my|the|it)",
            r"postpone",
            r"different time for my",
            r"change (?:my|the) (?:appointment|booking|time|date)",
            r"bring (?:it|my appointment) forward",
            r"push (?:it|my appointment) back",
        ),
    ),
    (
        Intent.CANCEL,
        _any(
            r"cancel",
            r"cancellation",
            r"call off",
            r"can ?t make (?:it|my appointment)",
            r"won ?t be able to (?:come|make it)",
        ),
    ),
    (
        Intent.GOODBYE,
        _any(
            r"that s all",
            r"that s everything",
            r"nothing else",
            r"call (?:you )?back later",
            r"i ll call back",
            r"hang up",
        ),
    ),
    (Intent.RESTART, _any(r"start (?:over|again)", r"from the (?:beginning|start|top)", r"restart", r"begin again")),
    (
        Intent.REPEAT,
        _any(
            r"repeat(?! prescriptions?| medication)",
            r"say (?:that|it) again",
            r"come again",
            r"^sorry$",
            r"^sorry what$",
            r"^pardon$",
            r"^what$",
            r"didn ?t (?:catch|hear|get) (?:that|it|you)",
            r"what did you say",
            r"^excuse me$",
        ),
    ),
    (
        Intent.LATER,
        _any(
            r"later",
            r"another (?:day|time|date|slot)",
            r"other (?:days|times|dates|slots)",
            r"something else",
            r"anything else",
            r"after that",
            r"different (?:day|time)",
        ),
    ),
    (Intent.EARLIER, _any(r"earlier", r"sooner", r"before that", r"anything before")),
    (
        Intent.INFO_HOURS,
        _any(
            r"opening (?:hours|times)",
            r"(?:are|is) (?:you|the surgery|the practice) open",
            r"you open",
            r"hours",
            r"when do you (?:open|close)",
            r"what time do you (?:open|close)",
        ),
    ),
    (
        Intent.INFO_ADDRESS,
        _any(
            r"address",
            r"where (?:are you|is the (?:surgery|practice)|are you located)",
            r"how do i get",
            r"directions",
            r"located",
            r"parking",
            r"postcode",
        ),
    ),
    (
        Intent.BOOK,
        _any(
            r"(?<!without an )(?<!without )appointment",
            r"(?<!without )book",
            r"(?<!without )booking",
            r"see (?:a|the) (?:doctor|gp|nurse)",
            r"consultation",
            r"check up",
            r"vaccine",
            r"jab",
            r"smear",
            r"slot",
        ),
    ),
    (Intent.REQUEST, REQUEST_WORDS["en"]),
    (Intent.GOODBYE, _any(r"goodbye", r"good bye", r"bye", r"have a (?:nice|good) day", r"see you", r"cheers")),
)
_RULES = {"fr": _FR_RULES, "en": _EN_RULES}


def is_emergency(text: str, locale: str) -> bool:
    """Whether the caller describes a medical emergency (chest pain, can't breathe, unconscious, stroke...).

    Args:
        text: The caller's words.
        locale: "fr" or "en"; English phrases are checked in both languages (callers mix them).

    Returns:
        `True` when an emergency phrase is heard.
    """
    words = plain(text)
    return bool(_EMERGENCY[lang_of(locale)].search(words) or _EMERGENCY["en"].search(words))


def detect_intent(text: str, locale: str) -> Intent | None:
    """The single most important thing the caller asks for (see the module docstring for the order).

    Args:
        text: The caller's words ("je voudrais annuler mon rendez-vous", "what are your opening hours").
        locale: "fr" or "en".

    Returns:
        The intent, or `None` when none is recognised.
    """
    if is_emergency(text, locale):
        return Intent.EMERGENCY
    words = plain(text)
    lang = lang_of(locale)
    for intent, pattern in _RULES[lang]:
        if pattern.search(words):
            if intent is Intent.HUMAN and LEAVE_MESSAGE[lang].search(words):
                continue  # a message for the secretary is a request, not a transfer
            return intent
    return None


_OTHER_DAY: Mapping[str, tuple[str, ...]] = {
    "fr": ("autre jour", "un autre jour", "jour suivant", "lendemain", "autre date"),
    "en": ("another day", "different day", "other day", "next day", "another date", "different date"),
}

_CORRECTION_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "fr": {
        "abandon": (
            "laisse tomber",
            "laissez tomber",
            "abandonne",
            "plus besoin",
            "rien du tout",
            "annule tout",
        ),
        "birth": ("naissance",),
        "phone": ("telephone", "numero", "portable"),
        "practitioner": ("medecin", "docteur", "praticien", "sage-femme", "sage femme"),
        # "nom" and "non" sound the same: after a determiner, Whisper's "le non" is the name
        "name": (
            "nom",
            "noms",
            "prenom",
            "orthographe",
            "epel*",
            "le non",
            "les non",
            "les nons",
            "du non",
            "mon non",
            "son non",
            "au non",
        ),
        "motif": ("motif", "raison", "type de rendez-vous"),
        "when": ("jour", "date", "heure", "horaire", "moment", "creneau"),
    },
    "en": {
        "abandon": ("forget it", "never mind", "nevermind", "don't bother", "cancel everything", "leave it"),
        "birth": ("birth", "born"),
        "phone": ("phone", "number", "mobile"),
        "practitioner": ("doctor", "gp", "nurse", "practitioner", "clinician"),
        "name": ("name", "surname", "spelling", "spelt", "spelled", "spell*"),
        "motif": ("reason", "type of appointment", "kind of appointment"),
        "when": ("day", "date", "time", "slot"),
    },
}


def wants_other_day(text: str, locale: str) -> bool:
    """Whether the caller asks for another day ("un autre jour", "another day")."""
    folded = fold(text)
    return any(phrase in folded for phrase in _OTHER_DAY.get(locale, ()))


def correction_target(text: str, locale: str) -> str | None:
    """What the caller wants to change after a read-back.

    Returns one of "when", "practitioner", "motif", "birth", "phone", "name", "abandon", or `None`.
    """
    folded = " " + fold(text).replace("'", " ") + " "
    for target, words in _CORRECTION_WORDS.get(locale, {}).items():
        for word in words:
            found = f" {word[:-1]}" in folded if word.endswith("*") else f" {word} " in folded
            if found:
                return target
    return None
