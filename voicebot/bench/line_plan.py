"""Which calls `voicebot bench line` places: the scenarios bench/line-scenarios.toml lists (of
tests/dialogue/scenarios/*.toml), filtered by the command's options, each once per caller voice of its language.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voicebot.bench.dialogue import ROOT, Scenario, load_scenarios

SELECTION = ROOT / "bench" / "line-scenarios.toml"
NATIVE = {"fr": ("f",), "en": ("a", "b")}
"""Kokoro voice name initials of each language's native voices; any other voice is an accented one."""


class SelectionError(Exception):
    """The selection names a scenario that does not exist."""


@dataclass(frozen=True)
class Selection:
    """bench/line-scenarios.toml: the caller voices of each language and the scenario ids of each practice."""

    voices: dict[str, tuple[str, ...]]
    ids: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path = SELECTION) -> Selection:
        """Read a selection file."""
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            {language: tuple(names) for language, names in spec.get("voices", {}).items()},
            {practice: tuple(ids) for practice, ids in spec.get("scenarios", {}).items()},
        )


@dataclass(frozen=True)
class Planned:
    """One call to place: a scenario and the caller's voice."""

    scenario: Scenario
    voice: str


def is_native(voice: str, language: str) -> bool:
    """Whether a Kokoro voice is native to `language` (its initial; "ff_siwis" for French, "af_heart" English)."""
    return voice[:1] in NATIVE.get(language, ())


def select(
    scenarios: Sequence[Scenario],
    selection: Selection,
    *,
    only: str | None = None,
    practices: Sequence[str] = (),
    limit: int | None = None,
    every: bool = False,
) -> list[Scenario]:
    """The scenarios to play, in the selection's order: those it lists (all of `scenarios` with `every`), of
    `practices` when given, whose id contains `only`, at most `limit` per practice.

    Raises:
        SelectionError: The selection names a scenario that does not exist.
    """
    by_id = {s.id: s for s in scenarios}
    missing = [i for ids in selection.ids.values() for i in ids if i not in by_id]
    if missing and not every:
        raise SelectionError(f"{SELECTION.name} names unknown scenarios: {', '.join(missing)}")
    listed = list(scenarios) if every else [by_id[i] for ids in selection.ids.values() for i in ids]
    chosen = [s for s in listed if (not practices or s.practice in practices) and (not only or only in s.id)]
    kept: list[Scenario] = []
    for scenario in chosen:
        if limit is None or sum(s.practice == scenario.practice for s in kept) < limit:
            kept.append(scenario)
    return kept


def plan(scenarios: Sequence[Scenario], selection: Selection, voices: Sequence[str] = ()) -> list[Planned]:
    """Each scenario once per caller voice: `voices` (a `voicebot call --caller-voice` value, or "LANG:" and
    one; a native voice goes to its language only, an accented one to every language), else the selection's
    voices of its language.
    """
    chosen: dict[str, list[str]] = {}
    for text in voices:
        language, name = (text[:2], text[3:]) if text[2:3] == ":" and text[:2] in NATIVE else ("", text)
        targets = [language] if language else [lang for lang in NATIVE if is_native(name, lang)] or list(NATIVE)
        for target in targets:
            chosen.setdefault(target, []).append(name)
    table = chosen if voices else {language: list(names) for language, names in selection.voices.items()}
    return [Planned(s, voice) for s in scenarios for voice in table.get(s.persona.language, [])]


def calls_for(
    *,
    only: str | None = None,
    practices: Sequence[str] = (),
    limit: int | None = None,
    every: bool = False,
    voices: Sequence[str] = (),
    selection_path: Path = SELECTION,
) -> list[Planned]:
    """The calls of a run, from the selection file and the command's filters."""
    selection = Selection.load(selection_path)
    chosen = select(load_scenarios(), selection, only=only, practices=practices, limit=limit, every=every)
    return plan(chosen, selection, voices)
