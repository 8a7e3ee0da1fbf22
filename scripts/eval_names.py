"""Names said over the phone line: how often Whisper base gets "Chloé Petit" right, with and without the common
names as scored candidates (`dialogue.understand.common_names`).

    python scripts/eval_names.py [--voice ff_siwis] [--output bench/names.json]

Each name is said by a Kokoro voice as a caller answers the name question ("Chloé Petit"), through the phone
line (8 kHz mu-law), and recognised with the pipeline's name prompt. Two readings:
- `free`: the Recognizer's beam, the dialogue's name reading of its best hypothesis;
- `common`: the same, with the common names near its hypotheses scored against the audio (`nearby_names`), as
  the pipeline's name question does;
Names are of two sets: `common` (first name and surname both in the lists; the bench's callers and others)
and `rare` (surnames not in the lists: a wrong candidate taken there is a false accept).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogue.understand.common_names import nearby_names  # noqa: E402
from dialogue.understand.names import parse_person_name, same_name  # noqa: E402
from voicebot.pipeline.stt_service import NAME_RULE  # noqa: E402
from voicebot.speech.audio import phone_roundtrip  # noqa: E402
from voicebot.speech.expect import expectation_prompt  # noqa: E402

NAMES = {
    "fr": {
        "common": [
            "Léa Moreau",
            "Chloé Petit",
            "Zoé Roux",
            "Camille Dubois",
            "Sarah Meyer",
            "Jean Dupont",
            "Jeanne Roux",
            "Emma Leroy",
            "Paul Renaud",
            "Marie Lambert",
            "Marc Garnier",
            "Julie Roche",
            "Tom Fournier",
            "Hugo Caron",
            "Inès Blanc",
            "Louis Perrin",
            "Léo Fabre",
            "Yves Rousseau",
            "Manon Lefebvre",
            "Lucas Bonnet",
            "Nathalie Mercier",
            "Thierry Gauthier",
            "Sophie Chevalier",
            "Nicolas Faure",
            "Isabelle Morel",
            "Antoine Lemaire",
            "Pauline Dumas",
            "Maxime Colin",
            "Élodie Brunet",
            "Clément Roussel",
        ],
        "rare": [
            "Anne Quéméner",
            "Marc Abgrall",
            "Solène Kerbrat",
            "Rémi Vandamme",
            "Aurélie Tixier",
            "Bastien Pujol",
            "Ophélie Ravoux",
            "Damien Estrosi",
            "Capucine Lhermitte",
            "Gaspard Ubaldi",
        ],
    },
    "en": {
        "common": [
            "John Smith",
            "Sarah Jones",
            "Emily Taylor",
            "James Wilson",
            "Olivia Brown",
            "Harry Evans",
            "Grace Walker",
            "Oliver Wright",
            "Amelia Hughes",
            "Jack Roberts",
        ],
        "rare": ["Fiona Tregarthen", "Callum Prothero", "Imogen Fairweather", "Rhys Pennington", "Tessa Ashdown"],
    },
}
QUESTION = {"fr": "Quels sont le prénom et le nom de la personne qui consulte ?", "en": "What is the patient's name?"}


def right(text: str, truth: str, locale: str) -> bool:
    """Whether the dialogue's name reading of `text` is `truth` (case, accents, spaces and hyphens aside)."""
    parsed = parse_person_name(text, locale)
    first, last = truth.split(" ", 1)
    return parsed is not None and same_name(parsed[0], first) and same_name(parsed[1], last)


def main() -> None:
    """Recognise every name both ways and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voice", action="append", help="Kokoro voice (repeatable; default per language)")
    parser.add_argument("--language", choices=("fr", "en"), action="append")
    parser.add_argument("--prompt-names", type=int, default=0, help="common first names put in the prompt")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "names.json")
    args = parser.parse_args()
    from voicebot.simulate.caller_audio import KokoroVoice
    from voicebot.speech.stt import Recognizer

    recognizer = Recognizer()
    rows = []
    for language in args.language or ["fr", "en"]:
        voices = args.voice or (["ff_siwis", "pm_alex"] if language == "fr" else ["af_heart"])
        prompt = expectation_prompt("name", language, (), QUESTION[language])
        if args.prompt_names:
            from dialogue.understand.name_lists import first_names

            firsts = list(first_names(language))[:: max(1, 200 // args.prompt_names)]
            prompt = f"Prénoms : {', '.join(firsts[: args.prompt_names])}. {prompt}"
            print(prompt)
        for voice_name in voices:
            voice = KokoroVoice(voice_name, language)
            for kind, names in NAMES[language].items():
                for truth in names:
                    pcm, rate = voice.speak(truth)
                    import numpy as np

                    audio = phone_roundtrip(np.frombuffer(pcm, dtype=np.int16), rate)
                    free = recognizer.transcribe(audio, language, prompt)
                    near = nearby_names([free.text, *free.alternatives], language)
                    common = recognizer.transcribe(
                        audio, language, prompt, nearby=partial(nearby_names, locale=language), rule=NAME_RULE
                    )
                    row = {
                        "language": language,
                        "voice": voice_name,
                        "kind": kind,
                        "truth": truth,
                        "free": free.text,
                        "free_right": right(free.text, truth, language),
                        "free_unsure": free.unsure,
                        "alternatives": list(free.alternatives),
                        "nearby": near,
                        "nearby_has_truth": any(right(n, truth, language) for n in near),
                        "common": common.text,
                        "common_candidate": common.candidate,
                        "common_unsure": common.unsure,
                        "common_right": right(common.text, truth, language),
                        "free_s": round(free.seconds, 3),
                        "common_s": round(common.seconds, 3),
                    }
                    rows.append(row)
                    mark = "=" if row["free_right"] == row["common_right"] else ("+" if row["common_right"] else "-")
                    print(f"{mark} {language} {voice_name} {kind:6} {truth!r}: {free.text!r} -> {common.text!r}")
    summary = []
    for key in dict.fromkeys((r["language"], r["voice"], r["kind"]) for r in rows):
        group = [r for r in rows if (r["language"], r["voice"], r["kind"]) == key]
        summary.append(
            {
                "language": key[0],
                "voice": key[1],
                "kind": key[2],
                "names": len(group),
                "free_right": sum(r["free_right"] for r in group),
                "common_right": sum(r["common_right"] for r in group),
                "nearby_has_truth": sum(r["nearby_has_truth"] for r in group),
                "taken_wrong": sum(1 for r in group if r["common_candidate"] and not r["common_right"]),
                "median_free_s": statistics.median(r["free_s"] for r in group),
                "median_common_s": statistics.median(r["common_s"] for r in group),
            }
        )
    for line in summary:
        print(line)
    args.output.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
