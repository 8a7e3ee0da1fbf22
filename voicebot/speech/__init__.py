"""Speech services: the models on disk, recognition (faster-whisper) and synthesis (Kokoro, Piper).

Plain synchronous Python: one model instance per process, shared by every call; the pipeline calls the heavy
functions through `asyncio.to_thread`. Text normalisation (`spoken`) and audio helpers (`audio`) are pure.
"""

from voicebot.speech.errors import FetchFailed, ModelCorrupt, ModelMissing, SpeechError

__all__ = ["FetchFailed", "ModelCorrupt", "ModelMissing", "SpeechError"]
