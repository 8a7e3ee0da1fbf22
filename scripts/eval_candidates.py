"""N-best and expected answers on real recordings and synthesized caller sentences.

    python scripts/eval_candidates.py                     # writes bench/candidates.json, prints a summary

Turns: Debian's Asterisk prompts (numbers, weekdays, months; see scripts/eval_recognition.py) and the 33
synthesized caller sentences per language of tests/speech/caller_sentences.py, through the phone line, with
the prompt the pipeline uses. Each turn is recognized four ways: greedy (beam 1), the Recognizer's beam
(n-best), and the beam with candidates: the truth among three other answers of the same kind ("present"),
and four other answers without the truth ("absent": any candidate taken is a false accept). A sentence is
right when the dialogue's own reading of it gives exactly the wanted entities (as in
test_caller_sentences.py); a recording when it is its label. The oracle counts a turn whose truth is any
n-best hypothesis. The candidate scores are kept, so `--grid` shows the rates of other thresholds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from num2words import num2words  # noqa: E402

from voicebot.speech import candidates as scoring  # noqa: E402
from voicebot.speech.audio import WHISPER_RATE, phone_roundtrip, read_wav, resample, to_float32  # noqa: E402
from voicebot.speech.expect import expectation_prompt  # noqa: E402
from voicebot.speech.stt import BEAM_SIZE, Recognizer  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One turn to recognize, with the answers of its kind."""

    language: str
    source: str
    truth: str
    audio: np.ndarray
    prompt: str | None
    pool: list[str]
    right: Callable[[str, float | None], bool]


def recordings(language: str) -> list[Case]:
    """Numbers, weekdays and months of the Asterisk prompts; the pool is the answers of the same kind."""
    from scripts.eval_recognition import DAYS, KIND_EXPECT, MONTHS, dataset, is_right

    items = [i for i in dataset(language) if i.kind != "letter"]
    words = {
        "weekday": DAYS[language],
        "month": MONTHS[language],
        "number": [num2words(int(i.label), lang=language) for i in items if i.kind == "number"],
    }
    cases = []
    for item in items:
        samples, rate = read_wav(item.path)
        truth = num2words(int(item.label), lang=language) if item.kind == "number" else item.label
        cases.append(
            Case(
                language,
                "recordings",
                truth,
                to_float32(resample(samples, rate, WHISPER_RATE)),
                expectation_prompt(KIND_EXPECT[item.kind], language),
                words[item.kind],
                lambda text, _c, item=item: is_right(text, item),  # type: ignore[misc]
            )
        )
    return cases


def sentences(language: str) -> list[Case]:
    """The caller sentences; the pool is the sentences answering the same question (then the others)."""
    from tests.speech.caller_sentences import ASKED, SENTENCES
    from tests.speech.test_caller_sentences import CallerVoices, context, question, same_entities, understand
    from voicebot.pipeline.builder import practice_vocabulary

    voices = CallerVoices(ROOT / ".pytest_cache" / "d" / "caller-sentences")  # the test's audio cache
    voices.folder.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    ctx = context(language)
    vocabulary = practice_vocabulary(ctx.clinic, language)
    every = SENTENCES[language]
    cases = []
    for sentence in every:
        expect, _ = ASKED[sentence.asked]
        same = [s.text for s in every if s.asked == sentence.asked]
        pool = same + [s.text for s in every if s.text not in same]

        def right(text: str, confidence: float | None, s: object = sentence) -> bool:
            return same_entities(understand(text, s.asked, ctx, confidence), s.want)  # type: ignore[attr-defined]

        cases.append(
            Case(
                language,
                "sentences",
                sentence.text,
                phone_roundtrip(*voices.audio(language, sentence)),
                expectation_prompt(expect.value, language, vocabulary, question(sentence.asked, ctx)),
                pool,
                right,
            )
        )
    return cases


def lists(case: Case) -> tuple[list[str], list[str]]:
    """Candidates with the truth among three others (its place varies), and four others without it."""
    others = [p for p in case.pool if p != case.truth]
    start = case.pool.index(case.truth) if case.truth in case.pool else 0
    others = others[start:] + others[:start]
    present = others[:3]
    present.insert(start % 4, case.truth)
    return present, others[:4]


def run(recognizer: Recognizer, case: Case) -> dict[str, object]:
    """The four recognitions of one turn, as a report row."""
    seen: list[scoring.Choice] = []
    choose = scoring.choose

    def spy(*args: object, **kwargs: object) -> scoring.Choice:
        seen.append(choose(*args, **kwargs))  # type: ignore[arg-type]
        return seen[-1]

    row: dict[str, object] = {"language": case.language, "source": case.source, "truth": case.truth}
    recognizer.beam_size = 1
    greedy = recognizer.transcribe(case.audio, case.language, case.prompt)
    recognizer.beam_size = BEAM_SIZE
    beam = recognizer.transcribe(case.audio, case.language, case.prompt)
    present, absent = lists(case)
    scoring.choose = spy
    try:
        with_truth = recognizer.transcribe(case.audio, case.language, case.prompt, candidates=present)
        without = recognizer.transcribe(case.audio, case.language, case.prompt, candidates=absent)
    finally:
        scoring.choose = choose
    hypotheses = [beam.text, *beam.alternatives]
    row.update(
        greedy=greedy.text,
        greedy_right=case.right(greedy.text, greedy.confidence),
        greedy_s=round(greedy.seconds, 4),
        beam=beam.text,
        beam_right=case.right(beam.text, beam.confidence),
        beam_s=round(beam.seconds, 4),
        alternatives=list(beam.alternatives),
        oracle=any(case.right(h, None) for h in hypotheses if h),
        margin=beam.margin,
        avg_logprob=round(beam.avg_logprob, 4),
        unsure=beam.unsure,
        present=present,
        present_candidate=with_truth.candidate,
        present_final_right=with_truth.candidate == case.truth
        or (with_truth.candidate is None and case.right(with_truth.text, with_truth.confidence)),
        present_s=round(with_truth.seconds, 4),
        absent=absent,
        absent_candidate=without.candidate,
        absent_s=round(without.seconds, 4),
    )
    for name, choice in zip(("present", "absent"), seen, strict=False):
        row[f"{name}_free_score"] = round(choice.free_score, 4)
        row[f"{name}_scores"] = [round(s, 4) for s in choice.scores]
    return row


def rates(rows: list[dict[str, object]]) -> dict[str, object]:
    """The summary of some rows."""
    n = len(rows)

    def count(key: str, test: Callable[[object], bool] = bool) -> int:
        return sum(1 for r in rows if test(r.get(key)))

    def median(key: str) -> float:
        return round(statistics.median(float(r[key]) for r in rows), 3)  # type: ignore[arg-type]

    return {
        "turns": n,
        "greedy_right": count("greedy_right"),
        "beam_right": count("beam_right"),
        "oracle_right": count("oracle"),
        "with_alternatives": count("alternatives"),
        "present_accept_right": sum(1 for r in rows if r["present_candidate"] == r["truth"]),
        "present_accept_wrong": sum(1 for r in rows if r["present_candidate"] not in (None, r["truth"])),
        "present_final_right": count("present_final_right"),
        "absent_false_accept": count("absent_candidate", lambda v: v is not None),
        "median_s": {k: median(f"{k}_s") for k in ("greedy", "beam", "present", "absent")},
    }


def summarize(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rates per language and source."""
    keys = dict.fromkeys((str(r["language"]), str(r["source"])) for r in rows)
    return [
        {"language": lang, "source": src, **rates([r for r in rows if (r["language"], r["source"]) == (lang, src)])}
        for lang, src in keys
    ]


def grid(rows: list[dict[str, object]]) -> None:
    """Right accepts and false accepts for other thresholds, from the kept scores."""

    def taken(free: float, scores: list[float], slack: float, margin: float) -> int | None:
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        second = scores[order[1]] if len(order) > 1 else float("-inf")
        best = order[0]
        return best if scores[best] >= free - slack and scores[best] - second >= margin else None

    for slack in (0.0, 0.1, 0.25, 0.5, 1.0):
        for margin in (0.1, 0.2, 0.3, 0.5, 1.0):
            good = bad = false = 0
            for r in rows:
                p, a = r.get("present_scores"), r.get("absent_scores")
                if isinstance(p, list) and p:
                    pick = taken(float(r["present_free_score"]), p, slack, margin)  # type: ignore[arg-type]
                    present = r["present"]
                    assert isinstance(present, list)
                    good += pick is not None and present[pick] == r["truth"]
                    bad += pick is not None and present[pick] != r["truth"]
                if isinstance(a, list) and a:
                    false += taken(float(r["absent_free_score"]), a, slack, margin) is not None  # type: ignore[arg-type]
            print(f"slack {slack:4} margin {margin:4}: right {good:3}  wrong {bad:3}  false accepts {false:3}")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default="fr,en")
    parser.add_argument("--sources", default="recordings,sentences")
    parser.add_argument("--limit", type=int, help="only the first N turns of each language and source")
    parser.add_argument("--output", default="bench/candidates.json")
    parser.add_argument("--grid", action="store_true", help="only print the threshold grid of --output")
    args = parser.parse_args()
    output = ROOT / args.output
    if args.grid:
        grid(json.loads(output.read_text())["rows"])
        return
    recognizer = Recognizer()
    recognizer.warm_up()
    rows = []
    started = time.perf_counter()
    for language in args.languages.split(","):
        for source in args.sources.split(","):
            cases = (recordings if source == "recordings" else sentences)(language)[: args.limit]
            rows += [run(recognizer, case) for case in cases]
            print(json.dumps(summarize(rows)[-1], ensure_ascii=False), flush=True)
    from scripts.eval_recognition import _machine

    report = {
        "machine": _machine(),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - started, 1),
        "beam_size": BEAM_SIZE,
        "free_slack": scoring.FREE_SLACK,
        "candidate_margin": scoring.CANDIDATE_MARGIN,
        "summary": summarize(rows),
        "rows": rows,
    }
    output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    grid(rows)


if __name__ == "__main__":
    main()
