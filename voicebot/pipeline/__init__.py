"""The voice pipeline (pipecat): one small frame-processor adapter per core, and the builder that joins them.

`build_pipeline` assembles one call; `engines.shared_engines` holds the process's models.
"""

from voicebot.pipeline.builder import CallPipeline, build_pipeline
from voicebot.pipeline.dialogue_processor import CallHints, DialogueProcessor
from voicebot.pipeline.engines import Engines, load_engines, shared_engines
from voicebot.pipeline.stt_service import RecognizerSTTService
from voicebot.pipeline.tts_service import SynthesizerTTSService

__all__ = [
    "CallHints",
    "CallPipeline",
    "DialogueProcessor",
    "Engines",
    "RecognizerSTTService",
    "SynthesizerTTSService",
    "build_pipeline",
    "load_engines",
    "shared_engines",
]
