"""The PNG chart of `voicebot bench voice` (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STACK = (
    ("vad", "VAD silence (setting)"),
    ("turn_and_text", "end of turn + recognition"),
    ("dialogue", "dialogue"),
    ("first_audio", "first synthesised audio"),
    ("playout", "to the socket"),
)
"""The server-side parts of a reply, in order; their medians are stacked."""


def write_chart(result: dict[str, Any], path: str | Path) -> None:
    """Two panels: the reply latency a caller hears (p50, p95, targets) and where the server's time goes (p50)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = result["levels"]
    labels = [str(level["concurrency"]) for level in levels]
    positions = list(range(len(levels)))

    def reply(level: dict[str, Any], name: str) -> float:
        summary = level["reply_latency_ms"]
        return float(summary[name]) if summary else float("nan")

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for offset, name in ((-0.2, "p50"), (0.2, "p95")):
        bars = left.bar([x + offset for x in positions], [reply(lv, name) for lv in levels], 0.4, label=name)
        left.bar_label(bars, fmt="%.0f", fontsize=7)
    for target, style in zip(result["targets"], (":", "--", "-."), strict=False):
        left.axhline(
            target["limit_ms"],
            color="grey",
            linestyle=style,
            linewidth=1,
            label=f"target {target['percentile']} ≤ {target['limit_ms']:.0f} ms at {target['concurrency']}",
        )
    left.set_xticks(positions, labels)
    left.set_xlabel("calls at once")
    left.set_ylabel("ms")
    left.set_title("End of caller speech → first bot audio (on the line)")
    left.legend(fontsize=8, loc="upper left")

    vad = result["setup"]["vad_stop_secs"] * 1000
    bottoms = [0.0] * len(levels)
    for key, label in STACK:
        heights = []
        for level in levels:
            summary = level["stages_ms"].get(key)
            heights.append(vad if key == "vad" else float(summary["p50"]) if summary else 0.0)
        right.bar(positions, heights, 0.6, bottom=bottoms, label=label)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    right.set_xticks(positions, labels)
    right.set_xlabel("calls at once")
    right.set_ylabel("ms (medians, stacked)")
    right.set_title("Inside the server, per caller turn")
    right.legend(fontsize=8)

    machine = result["machine"]
    figure.suptitle(
        f"voicebot bench voice ({result['language']}): {machine['cpu']}, {machine['cores']} cores, "
        f"load {machine['load_average_1min_at_start']} at start",
        fontsize=10,
    )
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
