"""telephony/ knows nothing of booking, dialogue or the voicebot wiring (STYLE.md: the shape of the house)."""

import ast
from pathlib import Path

TELEPHONY = Path(__file__).resolve().parents[2] / "telephony"
FORBIDDEN = ("booking", "dialogue", "voicebot")


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_telephony_imports_no_package_of_ours_but_itself() -> None:
    sources = sorted(TELEPHONY.rglob("*.py"))
    assert sources
    offenders = [
        (path.name, name) for path in sources for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []
