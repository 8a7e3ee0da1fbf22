"""The builder composes the call with pipecat's real Twilio transport (no models: small fake engines)."""

from __future__ import annotations

from pathlib import Path

from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport

from dialogue.actions import ExpectKind
from tests.pipeline.conftest import open_service
from tests.pipeline.test_services import FakeRecognizer, FakeSynthesizer
from voicebot.pipeline import CallHints, Engines, build_pipeline, shared_engines
from voicebot.pipeline.engines import reset_shared_engines
from voicebot.pipeline.turns import PATIENCE, ExpectationTurnStopStrategy


class Socket:
    """Never used: the pipeline is only built, not run."""


def test_twilio_call_pipeline_order_and_language(tmp_path: Path) -> None:
    service, now = open_service(tmp_path, "fr")
    serializer = TwilioFrameSerializer(
        stream_sid="MZ1",
        call_sid="CA1",
        account_sid="AC1",
        auth_token="secret",
        params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
    )
    transport = FastAPIWebsocketTransport(
        Socket(),
        FastAPIWebsocketParams(  # type: ignore[arg-type]
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        ),
    )
    french, english = FakeSynthesizer(), FakeSynthesizer()
    engines = Engines(FakeRecognizer("oui"), {"fr": french, "en": english})
    call = build_pipeline(transport, engines, service, lambda: now, None, "+33612345678")
    names = [type(p).__name__ for p in call.pipeline.processors][1:-1]
    assert names == [
        "FastAPIWebsocketInputTransport",
        "VADProcessor",
        "RecognizerSTTService",
        "UserTurnProcessor",
        "DialogueProcessor",
        "SynthesizerTTSService",
        "FastAPIWebsocketOutputTransport",
    ]
    assert call.stt.hints is call.hints is call.dialogue.hints
    assert call.stt._language == "fr"
    assert any("docteur" in word for word in call.stt._vocabulary)


def test_turn_patience_follows_expectation() -> None:
    hints = CallHints()
    strategy = ExpectationTurnStopStrategy(hints)
    assert strategy.patience() == PATIENCE[None]
    hints.expect = ExpectKind.YES_NO
    assert strategy.patience() < PATIENCE[None]
    hints.expect = ExpectKind.DIGITS
    assert strategy.patience() > PATIENCE[None]
    assert strategy._user_speech_timeout < strategy.patience()  # the floor: more only for unfinished words


def test_engines_loaded_once_per_process() -> None:
    loads: list[int] = []

    def loader() -> Engines:
        loads.append(1)
        return Engines(FakeRecognizer(""), {"en": FakeSynthesizer()})

    reset_shared_engines()
    try:
        first = shared_engines(loader)
        assert shared_engines(loader) is first
        assert loads == [1]
    finally:
        reset_shared_engines()
