"""Everyday words for common kinds of motif, per locale, and which of a practice's motifs each kind may mean.

A practice names its motifs as it likes ("vaccination", "consultation pédiatrique", "smear test"); callers
say "un vaccin", "une piqûre", "c'est pour mon fils", "a jab". A kind (vaccination, renewal, follow-up,
smear, certificate: the acts; child, dermatology, physiotherapy: whom or which specialty; consultation: a
general appointment) lists what callers say for it and the stems that, starting a word of a motif's label
or id (of its aliases when those say no kind), make the motif one of its kind. A general motif is one that
is none of the acts ("consultation", "consultation pédiatrique", "séance de kinésithérapie"); it is also of
the specialty kinds of all the practitioners offering it (a pédiatre's "consultation" is for children).
Generic words ("une consultation") mean the plain general motifs (of no specialty kind) when there are
some, else every general one. A kind that no motif has falls back on another: a renewal on a follow-up,
a certificate or a child on the plain general consultation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from booking.clinic import Motif, Practitioner
from dialogue.understand.text import plain


@dataclass(frozen=True)
class Kind:
    """A common kind of motif."""

    name: str
    act: bool
    """What is done (a vaccination, a smear) rather than for whom or in which specialty."""
    marks: tuple[str, ...]
    """Stems that, starting a word of a motif's label, id or aliases (or a specialty), make it of this kind."""
    words: Mapping[str, tuple[str, ...]]
    """What callers say for it, per locale."""
    fallback: str | None = None
    """The kind meant instead when no motif is of this one."""


CONSULTATION = "consultation"
"""The kind of every general motif: what "une consultation", "an appointment" mean."""

KINDS: tuple[Kind, ...] = (
    Kind(
        "vaccination",
        True,
        ("vaccin", "immunis", "immuniz", "jab", "piqure", "injection", "booster", "rappel"),
        {
            "fr": ("vaccin", "vacciner", "vaccination", "piqûre", "injection"),
            "en": ("vaccine", "vaccination", "vaccinate", "jab", "flu jab", "flu shot", "booster", "immunisation"),
        },
    ),
    Kind(
        "renewal",
        True,
        ("renouvel", "ordonnance", "prescription", "medication", "traitement", "repeat", "renew"),
        {
            "fr": ("renouvellement", "renouvellement d'ordonnance", "ordonnance", "renouveler", "traitement"),
            "en": ("repeat prescription", "prescription", "renewal", "medication", "refill"),
        },
        fallback="follow_up",
    ),
    Kind(
        "follow_up",
        True,
        ("suivi", "controle", "follow", "check", "review", "bilan"),
        {
            "fr": ("contrôle", "suivi", "visite de contrôle", "bilan"),
            "en": ("check-up", "checkup", "follow-up", "review"),
        },
    ),
    Kind(
        "smear",
        True,
        ("frottis", "smear", "cervical", "gyneco", "gynaeco", "pap"),
        {
            "fr": ("frottis", "frottis cervical", "examen gynécologique", "gynéco"),
            "en": ("smear", "smear test", "cervical screening", "pap smear", "pap test"),
        },
    ),
    Kind(
        "certificate",
        True,
        ("certificat", "certificate", "attestation", "aptitude", "note"),
        {
            "fr": ("certificat", "certificat médical", "certificat de sport", "attestation"),
            "en": ("certificate", "medical certificate", "sick note", "fit note"),
        },
        fallback=CONSULTATION,
    ),
    Kind(
        "child",
        False,
        ("pediatr", "paediatr", "enfant", "bebe", "nourrisson", "child", "baby", "infant", "kid", "newborn"),
        {
            "fr": ("enfant", "fils", "fille", "bébé", "nourrisson", "garçon"),
            "en": ("son", "daughter", "baby", "child", "kid", "toddler", "infant", "newborn"),
        },
        fallback=CONSULTATION,
    ),
    Kind(
        "dermatology",
        False,
        ("dermat", "peau", "skin", "grain", "naevus"),
        {
            "fr": ("dermatologue", "dermato", "dermatologie", "peau", "grain de beauté", "eczéma", "acné"),
            "en": ("dermatologist", "dermatology", "skin", "mole", "rash", "eczema", "acne"),
        },
    ),
    Kind(
        "physiotherapy",
        False,
        ("kine", "physio", "reeduc", "rehab"),
        {
            "fr": ("kiné", "kinésithérapie", "kinésithérapeute", "rééducation"),
            "en": ("physio", "physiotherapy", "physiotherapist", "rehab", "rehabilitation"),
        },
    ),
    Kind(
        CONSULTATION,
        False,
        ("consult", "rendez", "rdv", "visit", "appointment", "seance", "session"),
        {
            "fr": ("consultation", "rendez-vous", "rdv", "consulter", "visite"),
            "en": ("consultation", "appointment", "visit", "see a doctor"),
        },
    ),
)

_BY_NAME = {kind.name: kind for kind in KINDS}
# Not "rappel" among the words: "rappelez-moi" sounds like it (a practice may list it as an alias).
_ACTS = {kind.name for kind in KINDS if kind.act}


@lru_cache(maxsize=1024)
def _marked(text: str) -> frozenset[str]:
    """The kinds whose marks start a word of `text`."""
    words = plain(text.replace("_", " ")).split()
    return frozenset(k.name for k in KINDS if any(w.startswith(m) for w in words for m in k.marks))


def kinds_of(motif: Motif) -> set[str]:
    """The kinds a motif's label and id say (its aliases' when those say none), without specialty or fallback."""
    return set(_marked(f"{motif.label} {motif.id}") or _marked(" ".join(motif.aliases)))


def is_general(motif: Motif) -> bool:
    """Whether the motif is none of the acts: what a generic "une consultation" may mean."""
    return not _marked(f"{motif.label} {motif.id}") & _ACTS


def general_motif(motifs: Sequence[Motif]) -> Motif | None:
    """The one general motif among `motifs` (or their only motif), else `None`."""
    general = [m for m in motifs if is_general(m)]
    if len(general) == 1:
        return general[0]
    return motifs[0] if len(motifs) == 1 else None


def kind_words(
    motifs: Sequence[Motif], locale: str, practitioners: Sequence[Practitioner] = ()
) -> dict[str, list[str]]:
    """The everyday words each motif may be called by, from the kinds it has.

    Args:
        motifs: The motifs a caller may mean.
        locale: "fr" or "en".
        practitioners: Who offers them; a general motif whose practitioners all share a specialty kind
            ("pédiatre") has that kind too.

    Returns:
        Each motif id's words (phrases as callers say them).
    """
    kinds = {m.id: kinds_of(m) - {CONSULTATION} for m in motifs}
    for motif in motifs:
        offering = [p for p in practitioners if motif.id in p.motifs]
        if is_general(motif) and offering:
            kinds[motif.id] |= frozenset.intersection(*(_marked(p.specialty) for p in offering)) - _ACTS
    general = [m.id for m in motifs if is_general(m)]
    plain_general = [i for i in general if not kinds[i]]
    named = [m.id for m in motifs if m.id in plain_general and CONSULTATION in kinds_of(m)]
    plain_general = named or plain_general  # "GP appointment" rather than "fit note"
    for motif_id in plain_general or general:
        kinds[motif_id].add(CONSULTATION)
    words: dict[str, list[str]] = {m.id: [] for m in motifs}
    for kind in KINDS:
        meant = [i for i, names in kinds.items() if kind.name in names]
        if not kind.act:  # "pour mon fils": the paediatric consultation, not the infant's follow-up
            meant = [i for i in meant if i in general] or meant
        if not meant and kind.fallback == CONSULTATION:
            meant = plain_general
        elif not meant and kind.fallback is not None:
            meant = [i for i, names in kinds.items() if kind.fallback in names]
        for motif_id in meant:
            words[motif_id].extend(kind.words.get(locale, ()))
    return words
