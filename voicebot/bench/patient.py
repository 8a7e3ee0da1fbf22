"""A reactive simulated caller for `voicebot chat --json`: it reads each question and answers it from a persona.

The caller is not a fixed script: `Patient.answer(says, expect)` classifies the bot's question (the `listen`
message's `expect` first, the bot's words to tell questions of one kind apart) and answers what this persona
would say, in the persona's style (all at once, step by step, keys only, correcting itself, insisting on a
time that is not free, silent at times). Offered slots are read from the bot's words and chosen against the
persona's wished window (`voicebot.bench.offers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

from dialogue.understand.when import parse_birth_date
from voicebot.bench.offers import Window, read_offers
from voicebot.bench.questions import classify, letters
from voicebot.bench.talk import WORDS, chat_up

KEYS = {"book": "1", "move": "2", "cancel": "3"}
MENU = re.compile(r"(\d) (?:pour|for) (.+?)(?=,| ou | or |\.|$)")
"""A keypad menu's items: "Tapez 1 pour consultation, 2 pour vaccination ou 3 pour ..."."""
PATIENCE = 6
"""Offers a caller turns down before hanging up."""
ECHO = re.compile(r"([^.?!]+?),? (?:[cs]'est noté|c est noté|got it)\b", re.IGNORECASE)
"""The bot saying back a name or birth date it was unsure of ("Jean Dupont, c'est noté."; Whisper on the
caller's side may write "s'est noté")."""
SAME_NAME = 0.85
"""How alike (letters without case, accents, spaces nor punctuation) a name said back must sound to pass; it
must also have as many letters, give or take one ("Paul Girard" does not pass for Paul Girardin)."""
READ_BACK_NAME = re.compile(r".*\b(?:pour|for) ([^,.?!]+)[,.]?((?:\s*\b[a-z](?![\w'’])[,.-]?)*)", re.I | re.S)
"""The name in a read-back and its spelling ("... pour Paul Gerard, G, E, R, A, R, D. C'est bien ça ?")."""
NAME_FIX = {"fr": "non, le nom", "en": "no, the name"}
"""What a caller says to a read-back that has the name wrong."""
NAME_FIXES = 2
"""Read-backs with the name wrong a caller objects to: the spelled name may still be wrong once."""
SPELLED_SIGNS = {"fr": {"-": "tiret", "'": "apostrophe"}, "en": {"-": "hyphen", "'": "apostrophe"}}


def spell_out(name: str, language: str) -> str:
    """A surname letter by letter as a caller says it ("G, I, R, A, R, D, I, N"; "tiret" for a hyphen)."""
    signs = SPELLED_SIGNS.get(language, SPELLED_SIGNS["en"])
    said = [letters(c).upper() or signs.get(c, "") for c in name]
    return ", ".join(s for s in said if s)


@dataclass(frozen=True)
class Persona:
    """Who calls and what they want, as a scenario file describes them (every field has a default)."""

    language: str = "fr"
    task: str = "book"
    """book, cancel, move, or request (a message left for the practice)."""
    style: str = "one_shot"
    """one_shot (the opening says it all), step (one fact per question), keypad (keys wherever keys work)."""
    opening: str = ""
    """The first sentence; empty: a plain "I'd like an appointment / to cancel / to move"."""
    practitioner: str = ""
    """How they name the practitioner; empty: anyone."""
    motif: str = ""
    """The motif in their own words; empty: a consultation."""
    when: str = ""
    """The day and time they wish, in their words (for a move: the new time)."""
    when_keys: str = "1"
    """Keypad persona: the day as DDMM, or 1 for the earliest."""
    window: Window = field(default_factory=Window)
    """Which offered slots they accept; a slot outside it is refused with "later"."""
    first_when: tuple[str, ...] = ()
    """Said before `when`, one per time the day is asked: an unavailable time they insist on, or a wrong day
    they correct at the read-back (`fix_at_recap`)."""
    fix_at_recap: str = ""
    """Say "no" at the first read-back and name this ("le jour", "the day"), then give `when`."""
    first_name: str = "Jean"
    last_name: str = "Dupont"
    birth: str = "le 3 février 1980"
    birth_keys: str = "03021980"
    phone: str = ""
    """Empty: the number they call from is fine; else the number they say."""
    known: bool = True
    """Whether the patient is already followed at the practice."""
    which: str = ""
    """How they tell two close names apart when asked ("Camille Martin, la sage-femme"); empty: `practitioner`."""
    choose_by_time: bool = False
    """Choose an offered slot by its time ("celui de 9 h 15") rather than by its rank ("le deuxième")."""
    pick: str = ""
    """Which of several appointments to cancel or move ("celui du mardi")."""
    request: str = ""
    """What the message for the practice says (task "request")."""
    silent: tuple[str, ...] = ()
    """Question classes they are silent at, once each."""
    accept_alternative: bool = True
    chatty: bool = False
    """Wraps answers in everyday words ("oui, c'est parfait", "my name's John Smith") instead of bare ones."""


@dataclass
class Patient:
    """The persona in a call: answers each question, remembers what it has said."""

    persona: Persona
    today: date
    """The call's day, to place the offered days in a year."""
    asked: dict[str, int] = field(default_factory=dict)
    """How many times each question class was asked."""
    whens_said: int = 0
    fixed: bool = False
    opened: bool = False
    """Whether the opening sentence has been said (a second "how can I help" gets a plain request)."""
    last: str = ""
    """The class of the last question answered."""
    refused: int = 0
    """Offers turned down so far (after `PATIENCE` of them the caller hangs up)."""
    lost: int = 0
    """Questions it could not place (answered with a "pardon ?")."""
    last_said: str = ""
    """The class of the question answered last, before this one."""
    corrected_echo: bool = False
    """A name said back wrong was corrected (a person corrects once, then lets the read-back show it)."""
    name_fixes: int = 0
    """Read-backs with the name wrong answered "non, le nom" (`NAME_FIXES` a call at most)."""

    def answer(self, says: list[str], expect: str | None) -> str:
        """The caller's next line (`voicebot chat` syntax) for the bot's words since the last answer."""
        self.last_said = self.last
        kind = classify(says, expect)
        count = self.asked.get(kind, 0)
        self.asked[kind] = count + 1
        self.last = kind
        if kind in self.persona.silent and count == 0:
            return "silence"
        correction = self._correct_echo(says)
        if correction is not None:
            return correction
        line: str = getattr(self, f"_{kind}", self._unknown)(says)
        return chat_up(line, kind, self.persona.language) if self.persona.chatty else line

    def _correct_echo(self, says: list[str]) -> str | None:
        """The caller's "non, Chloé Petit" or "non, le 3 février 1980" when the bot says back a name or a birth
        date not the caller's (once a call: then the read-back shows the name; the birth date is not read back).
        """
        match = ECHO.search(" ".join(says))
        persona = self.persona
        if match is None or self.corrected_echo:
            return None
        if self.last_said == "birth":
            heard, mine = (parse_birth_date(t, persona.language) for t in (match.group(1), persona.birth))
            right: str | None = persona.birth if heard is not None and heard != mine else None
        elif self.last_said in ("name", "first_name"):
            # the surname alone passes: the first name is asked next
            same = self._is_mine(match.group(1)) or letters(match.group(1)) == letters(self._surname())
            right = None if same else f"{persona.first_name} {persona.last_name}"
        else:
            return None
        if right is None:
            return None
        self.corrected_echo = True
        return f"{self._w('no')}, {right}"

    def _is_mine(self, name: str) -> bool:
        """Whether `name` (as the bot said it) sounds like the persona's first name and surname."""
        echoed, mine = letters(name), letters(f"{self.persona.first_name} {self._surname()}")
        return SequenceMatcher(None, echoed, mine).ratio() >= SAME_NAME and abs(len(echoed) - len(mine)) <= 1

    def _name_read_back_wrong(self, says: list[str]) -> bool:
        """Whether the read-back names someone else: neither the name nor its spelling is the persona's."""
        match = READ_BACK_NAME.match(" ".join(says))
        if match is None:
            return False
        spelled = letters(match.group(2))
        return not self._is_mine(match.group(1)) and spelled != letters(self._surname())

    def _surname(self) -> str:
        """The persona's surname without the spelling it may say with it ("Roux, R O U X": "Roux")."""
        return self.persona.last_name.split(",")[0].strip()

    # One method per question class.
    def _w(self, key: str) -> Any:
        return WORDS[self.persona.language][key]

    def _keys(self) -> bool:
        return self.persona.style == "keypad"

    def _yes(self, yes: bool = True) -> str:
        if self._keys():
            return "dtmf:1" if yes else "dtmf:2"
        return str(self._w("yes" if yes else "no"))

    def _open(self, says: list[str]) -> str:
        p = self.persona
        if self.opened:
            return str(self._w(p.task)) if p.task in KEYS else p.request or str(self._w("book"))
        self.opened = True
        if self._keys() and p.task in KEYS:
            return f"dtmf:{KEYS[p.task]}"
        if p.opening:
            return p.opening
        return str(self._w(p.task)) if p.task in KEYS else p.request

    def _topic(self, says: list[str]) -> str:
        return self.persona.request or self.persona.motif or str(self._w("pardon"))

    def _more(self, says: list[str]) -> str:
        return self._yes(False)

    def _practitioner(self, says: list[str]) -> str:
        words = self.persona.practitioner or str(self._w("anyone"))
        return self._menu(says, words if self.persona.practitioner else "premier disponible first available", words)

    def _which(self, says: list[str]) -> str:
        return self._menu(says, self.persona.practitioner, self.persona.which or self._practitioner(says))

    def _motif(self, says: list[str]) -> str:
        words = self.persona.motif or str(self._w("motif"))
        return self._menu(says, words, words, first=True)

    def _menu(self, says: list[str], wanted: str, spoken: str, first: bool = False) -> str:
        """A keypad caller presses the key of the menu item sharing a word with `wanted`; others say `spoken`."""
        items = MENU.findall(" ".join(says)) if self._keys() else []
        words = {w for w in re.findall(r"\w+", wanted.casefold()) if len(w) > 3}
        for key, option in items:
            if words & set(re.findall(r"\w+", option.casefold())):
                return f"dtmf:{key}"
        return f"dtmf:{items[0][0]}" if items and first else spoken

    def _when(self, says: list[str]) -> str:
        p = self.persona
        if self._keys():
            return f"dtmf:{p.when_keys}"
        said = self.whens_said
        self.whens_said += 1
        if said < len(p.first_when):
            return p.first_when[said]
        return p.when or str(self._w("asap"))

    def _offer(self, says: list[str]) -> str:
        offers = read_offers(" ".join(says), self.persona.language, self.today)
        for index, slot in enumerate(offers[:3]):
            if self.persona.window.holds(slot):
                if len(offers) == 1:
                    return self._yes()
                if self._keys():
                    return f"dtmf:{index + 1}"
                return self._by_time(slot) if self.persona.choose_by_time else str(self._w("ordinals")[index])
        self.refused += 1
        if self.refused > PATIENCE:
            return "hangup"
        if self._keys():
            return "dtmf:2" if len(offers) == 1 else "dtmf:4"
        if self.persona.when and self.refused in (1, 4):
            return f"{self._w('no')}, {self.persona.when}"
        if offers and not self.persona.window.before(offers[-1]):
            return self.persona.when or str(self._w("no"))
        return str(self._w("later"))

    def _by_time(self, slot: datetime) -> str:
        if self.persona.language == "en":
            hour = slot.hour % 12 or 12
            clock = f"{hour}:{slot.minute:02d}" if slot.minute else str(hour)
            return f"the {clock} {'pm' if slot.hour >= 12 else 'am'} one"
        return f"celui de {slot.hour} h {slot.minute:02d}" if slot.minute else f"celui de {slot.hour} h"

    def _birth(self, says: list[str]) -> str:
        """The birth date; keyed in when the bot asks it again and offers the keypad ("tapez-la")."""
        offered = any(word in " ".join(says).casefold() for word in ("tapez-la", "la taper", "key it in"))
        persona = self.persona
        same = parse_birth_date(persona.birth, persona.language) == parse_birth_date(persona.birth_keys, "fr")
        keyed = self._keys() or (offered and same and self.asked.get("birth", 0) > 1)
        return f"dtmf:{self.persona.birth_keys}" if keyed else self.persona.birth

    def _name(self, says: list[str]) -> str:
        return f"{self.persona.first_name} {self.persona.last_name}"

    def _spell(self, says: list[str]) -> str:
        return spell_out(self._surname(), self.persona.language)

    def _first_name(self, says: list[str]) -> str:
        return self.persona.first_name

    def _is_patient(self, says: list[str]) -> str:
        text = " ".join(says).casefold()
        return self._yes(self.persona.first_name.casefold() in text and self.persona.last_name.casefold() in text)

    def _phone_confirm(self, says: list[str]) -> str:
        return self._yes(not self.persona.phone)

    def _phone(self, says: list[str]) -> str:
        return self.persona.phone or str(self._w("own_number"))  # asked anyway: a caller knows their mobile

    def _known(self, says: list[str]) -> str:
        return self._yes(self.persona.known)

    def _alt_motif(self, says: list[str]) -> str:
        return self._yes(self.persona.accept_alternative)

    def _confirm(self, says: list[str]) -> str:
        if self.persona.fix_at_recap and not self.fixed:
            self.fixed = True
            return f"{self._w('no')}, {self.persona.fix_at_recap}"
        if self.name_fixes < NAME_FIXES and self._name_read_back_wrong(says):
            self.name_fixes += 1  # a person objects to a wrong name, twice at most, then gives in
            return NAME_FIX[self.persona.language]  # keys cannot spell: said, by keypad callers too
        slots = read_offers(" ".join(says), self.persona.language, self.today)
        if slots and not self.persona.window.holds(slots[-1]) and not self.fixed:
            self.fixed = True  # the read-back's time is not the one wished: say so once
            return f"{self._w('no')}, {self._w('day')}"
        return self._yes()

    def _fix(self, says: list[str]) -> str:
        if self.name_fixes and not self.persona.fix_at_recap:  # "non, le nom" was not understood: say what again
            return {"fr": "le nom", "en": "the name"}[self.persona.language]
        return self.persona.fix_at_recap or str(self._w("day"))

    def _pick(self, says: list[str]) -> str:
        return self.persona.pick or ("dtmf:1" if self._keys() else str(self._w("ordinals")[0]))

    def _cancel_confirm(self, says: list[str]) -> str:
        return self._yes()

    def _retry(self, says: list[str]) -> str:
        return self._yes(self.asked["retry"] == 1)

    def _transfer(self, says: list[str]) -> str:
        return self._yes(False)

    def _yes_no(self, says: list[str]) -> str:
        return self._yes()

    def _unknown(self, says: list[str]) -> str:
        self.lost += 1
        return str(self._w("pardon"))
