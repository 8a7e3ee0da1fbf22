"""`GET /metrics` (`voicebot.metrics`, `voicebot.server`): the exposition parses and carries fixed labels only;
who may scrape it; the reply stages the latency observer times; a voice handler's calls, turns and replies; and a
real `voicebot serve --no-voice` whose keypad call moves the call metrics."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    EndWorkerFrame,
    Frame,
    InputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from booking.records import CallChannel
from booking.sms_outbox import Outbox
from dialogue.actions import HangUp, Outcome, OutcomeKind
from dialogue.privacy import CallFacts
from dialogue.state import State
from telephony.sip.gateway import SipGateway
from tests.booking.service_helpers import sample_service
from tests.conftest import NOW, ROOT
from tests.pg import free_port
from tests.pipeline.test_services import FakeRecognizer
from tests.telephony.twilio.live import ACCOUNT, TOKEN
from tests.voicebot.serve_process import wait_healthy, wait_until
from voicebot.metrics import OUTCOMES, STAGES, Metrics, scrape_allowed
from voicebot.phone.calls import CallInProgress, CallOutcome, PipelineHandler
from voicebot.phone.tones import CountedTones
from voicebot.pipeline.builder import CallPipeline
from voicebot.pipeline.latency import ReplyLatencyObserver
from voicebot.pipeline.stt_service import RecognizerSTTService
from voicebot.server import create_app
from voicebot.settings import BadSetting, Clock, metrics_allow_ips, sip_settings, worker_id
from voicebot.speech.stt import Transcript

MOBILE = "+33612345678"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


def test_the_exposition_parses_with_every_series_at_zero() -> None:
    metrics = Metrics("w1", service_version="1.2.3")
    metrics.watch_calls("sip", lambda: 2)
    metrics.watch_recognizer(lambda: 3)
    metrics.watch_outbox(lambda: 4)
    text = metrics.exposition().decode()
    found = samples(text)
    assert value(text, "voicebot_worker_info", worker="w1", version="1.2.3") == 1
    assert value(text, "voicebot_calls_in_progress", line="sip") == 2
    assert value(text, "voicebot_calls_in_progress", line="twilio") == 0
    assert value(text, "voicebot_recognizer_queue_depth") == 3
    assert value(text, "voicebot_sms_outbox_pending") == 4
    for line in ("twilio", "sip"):
        assert value(text, "voicebot_turns_total", line=line) == 0
        assert all(value(text, "voicebot_calls_total", line=line, outcome=o) == 0 for o in OUTCOMES)
    assert all(value(text, "voicebot_reply_seconds_count", stage=stage) == 0 for stage in STAGES)
    assert value(text, "voicebot_speech_cache_hits_total") == value(text, "voicebot_speech_cache_misses_total") == 0
    assert {labels for name, labels in found if name == "voicebot_speculations_total"} == {
        (("result", "used"),),
        (("result", "dropped"),),
    }


def test_the_feeds_count_and_labels_stay_in_their_sets() -> None:
    metrics = Metrics("w1")
    metrics.call_ended("twilio", "completed", turns=3)
    metrics.call_ended("twilio", "tones")
    metrics.reply({"recognition": 0.35, "first_audio": 1.1})
    metrics.reply({"first_audio": 7.0, "dialogue": float("nan")})  # not a number: not observed
    looked_up = [2, 1]
    metrics.watch_speech_cache(lambda: (looked_up[0], looked_up[1]))
    metrics.speculation(used=False)
    text = metrics.exposition().decode()
    assert value(text, "voicebot_calls_total", line="twilio", outcome="completed") == 1
    assert value(text, "voicebot_calls_total", line="twilio", outcome="tones") == 1
    assert value(text, "voicebot_turns_total", line="twilio") == 3
    assert value(text, "voicebot_reply_seconds_count", stage="first_audio") == 2
    assert value(text, "voicebot_reply_seconds_bucket", stage="first_audio", le="1.25") == 1
    assert value(text, "voicebot_reply_seconds_bucket", stage="first_audio", le="5.0") == 1
    assert value(text, "voicebot_reply_seconds_sum", stage="recognition") == pytest.approx(0.35)
    assert value(text, "voicebot_reply_seconds_count", stage="dialogue") == 0
    assert value(text, "voicebot_speech_cache_hits_total") == 2
    assert value(text, "voicebot_speech_cache_misses_total") == 1
    looked_up[0] += 5  # read at each scrape
    assert value(metrics.exposition().decode(), "voicebot_speech_cache_hits_total") == 7
    assert value(text, "voicebot_speculations_total", result="dropped") == 1
    with pytest.raises(ValueError, match="none of"):
        metrics.call_ended(MOBILE, "completed")  # a label never takes anything else than its values
    with pytest.raises(ValueError, match="none of"):
        metrics.reply({"Jean Dupont": 1.0})


def test_an_unreadable_outbox_leaves_its_metric_out() -> None:
    metrics = Metrics("w1")

    def broken() -> int:
        raise OSError("database down")

    metrics.watch_outbox(broken)
    text = metrics.exposition().decode()
    assert "voicebot_sms_outbox_pending" not in text and "voicebot_calls_total" in text


@pytest.mark.parametrize(
    ("client", "proxied", "allow", "expected"),
    [
        ("127.0.0.1", False, (), True),
        ("::1", False, (), True),
        ("::ffff:127.0.0.1", False, (), True),
        ("127.0.0.1", True, (), False),  # a proxy on this machine: anyone could be behind it
        ("192.0.2.7", False, (), False),
        ("192.0.2.7", False, ("192.0.2.0/24",), True),
        ("192.0.2.7", True, ("192.0.2.7",), True),  # the real client, named by a trusted proxy, is allowed
        ("198.51.100.1", False, ("192.0.2.0/24", "::/0"), False),
        ("testclient", False, ("0.0.0.0/0",), False),  # no address at all
        (None, False, ("0.0.0.0/0",), False),
    ],
)
def test_who_may_scrape(client: str | None, proxied: bool, allow: tuple[str, ...], expected: bool) -> None:
    assert scrape_allowed(client, proxied, allow) is expected


def test_the_settings_of_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    assert metrics_allow_ips(None, {}) == ()
    assert metrics_allow_ips(None, {"VOICEBOT_METRICS_ALLOW_IPS": "10.1.2.3/8, 192.0.2.9"}) == (
        "10.0.0.0/8",
        "192.0.2.9",
    )
    assert metrics_allow_ips("", {"VOICEBOT_METRICS_ALLOW_IPS": "10.0.0.0/8"}) == ()  # the option wins
    with pytest.raises(BadSetting, match="--metrics-allow-ips 'prometheus' is not the IP address"):
        metrics_allow_ips("prometheus", {})
    assert worker_id("web-1", {"VOICEBOT_WORKER_ID": "other"}) == "web-1"
    assert worker_id(None, {"VOICEBOT_WORKER_ID": " pod:7 "}) == "pod:7"
    assert worker_id(None, {}).endswith(f"-{os.getpid()}")
    for bad in ("", "a b", "x" * 65, 'w"1'):
        with pytest.raises(BadSetting, match="--worker-id"):
            worker_id(bad, {})


def test_the_route_answers_allowed_clients_only(sqlite_url: str) -> None:
    service = sample_service(sqlite_url, NOW)
    try:
        metrics = Metrics("web-7", allow=("192.0.2.0/24",))
        metrics.watch_server(service.engine)
        app = create_app(service, Clock(NOW), secret_key="k", metrics=metrics)
        local = TestClient(app, client=("127.0.0.1", 40000))
        response = local.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"] == CONTENT_TYPE_LATEST
        assert value(response.text, "voicebot_sms_outbox_pending") == 0
        Outbox(service.engine).queue("confirmation", MOBILE, "Rendez-vous confirmé.", NOW)
        text = local.get("/metrics").text
        assert value(text, "voicebot_sms_outbox_pending") == 1
        assert MOBILE not in text and "confirm" not in text  # the count only
        assert local.get("/healthz").json() == {"status": "ok", "worker": "web-7"}
        assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403
        assert TestClient(app, client=("203.0.113.5", 40000)).get("/metrics").status_code == 403
        assert TestClient(app, client=("192.0.2.50", 40000)).get("/metrics").status_code == 200
        plain = create_app(service, Clock(NOW), secret_key="k")  # no metrics: no route, /healthz as before
        assert TestClient(plain, client=("127.0.0.1", 1)).get("/metrics").status_code == 404
        assert TestClient(plain).get("/healthz").json() == {"status": "ok"}
    finally:
        service.engine.dispose()


def play(observer: ReplyLatencyObserver, frames: list[tuple[float, Frame]]) -> None:
    """Push `frames` (at their seconds on the pipeline clock) past the observer, as a pipeline would."""
    source, destination = FrameProcessor(), FrameProcessor()

    async def scenario() -> None:
        for seconds, frame in frames:
            pushed = FramePushed(source, destination, frame, FrameDirection.DOWNSTREAM, int(seconds * 1e9))
            await observer.on_push_frame(pushed)

    asyncio.run(scenario())


def heard(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text, "caller", "2026-11-28T10:00:00Z")


def test_the_observer_times_each_stage_from_the_end_of_speech() -> None:
    replies: list[Mapping[str, float]] = []
    observer = ReplyLatencyObserver(vad_stop_secs=0.5, on_reply=replies.append)
    play(
        observer,
        [
            (1.0, TTSSpeakFrame("Bonjour")),  # the greeting: no reply to anything
            (1.2, BotStartedSpeakingFrame()),
            (5.0, VADUserStartedSpeakingFrame()),
            (7.5, VADUserStoppedSpeakingFrame(stop_secs=0.5)),  # speech ended at 7.0
            (7.8, heard("mardi")),
            (8.0, UserStoppedSpeakingFrame()),
            (8.4, TTSSpeakFrame("Mardi à quelle heure ?")),
            (8.5, TTSSpeakFrame("Le matin ?")),  # the reply's second sentence: not a new stage
            (9.1, BotStartedSpeakingFrame()),
            (12.0, VADUserStartedSpeakingFrame()),
            (13.0, VADUserStoppedSpeakingFrame(stop_secs=0.5)),  # ended at 12.5; no transcript, no TTS
            (13.2, UserStoppedSpeakingFrame()),
            (14.0, BotStartedSpeakingFrame()),
        ],
    )
    assert [list(reply) for reply in replies] == [list(STAGES), ["end_of_turn", "first_audio"]]
    assert dict(replies[0]) == pytest.approx(
        {"recognition": 0.8, "end_of_turn": 1.0, "dialogue": 1.4, "first_audio": 2.1}
    )
    assert dict(replies[1]) == pytest.approx({"end_of_turn": 0.7, "first_audio": 1.5})
    assert observer.waits == pytest.approx([2.1, 1.5])  # the call log's waits, as before


def test_a_call_counts_its_turns_in_recognition() -> None:
    class Watching(FakeRecognizer):
        """Notes, from its thread, what the service counts while it recognises."""

        def __init__(self, *texts: str) -> None:
            super().__init__(*texts)
            self.stt: RecognizerSTTService | None = None
            self.seen: list[int] = []

        def transcribe(self, pcm: bytes, language: str, *args: Any, **kwargs: Any) -> Transcript:
            assert self.stt is not None
            self.seen.append(self.stt.pending)
            return super().transcribe(pcm, language, *args, **kwargs)

    recognizer = Watching("mardi")
    stt = recognizer.stt = RecognizerSTTService(recognizer, language="fr")
    audio = [InputAudioRawFrame(bytes(640), 16000, 1) for _ in range(25)]
    frames = [VADUserStartedSpeakingFrame(), *audio, VADUserStoppedSpeakingFrame(), SleepFrame(0.3)]
    assert stt.pending == 0
    asyncio.run(run_test(stt, frames_to_send=frames))
    assert recognizer.seen == [1] and stt.pending == 0


@dataclass
class Dialogue:
    outcome: HangUp | None = None
    transcript: list[tuple[str, str]] = field(
        default_factory=lambda: [("bot", "Bonjour"), ("caller", "mardi"), ("bot", "Le matin ?"), ("caller", "dtmf:1")]
    )
    state: State = field(default_factory=State)
    facts: CallFacts = field(default_factory=CallFacts.empty)


@dataclass
class Recognition:
    pending: int = 0


@dataclass
class Transport:
    muted: bool = False


class Started(FrameProcessor):
    """Sets `running` once the pipeline has started."""

    def __init__(self) -> None:
        super().__init__()
        self.running = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            self.running.set()
        await self.push_frame(frame, direction)


class VoiceHandler(PipelineHandler[str, Transport]):
    """`PipelineHandler` on a one-processor pipeline with the real latency observer (no speech models)."""

    channel = CallChannel.SIP

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(None, lambda: datetime(2026, 12, 1, tzinfo=UTC), lambda: None, metrics=metrics)  # type: ignore[arg-type,return-value]
        self.started = Started()
        self.recognition = Recognition(pending=2)

    def call_id(self, call: str) -> str:
        return call

    def transport(self, call: str) -> Transport:
        return Transport()

    def build(self, call: str, transport: Transport) -> CallPipeline:
        pipeline = Pipeline([self.started])
        latency = ReplyLatencyObserver(vad_stop_secs=0.5)
        worker = PipelineWorker(pipeline, observers=[latency], enable_rtvi=False)
        stt = self.recognition
        return CallPipeline(worker, pipeline, Dialogue(), stt, None, latency=latency)  # type: ignore[arg-type]

    def watch(self, call: str, progress: CallInProgress[Transport]) -> None:
        pass


def test_a_voice_call_feeds_the_reply_stages_its_turns_and_its_outcome() -> None:
    metrics = Metrics("w1")
    handler = VoiceHandler(metrics)
    gateway = SipGateway(sip_settings("127.0.0.1", 5099), handler)  # type: ignore[arg-type]  # never started
    metrics.watch_server(create_engine("sqlite://"), None, gateway)  # an outbox with no table: left out

    async def scenario() -> None:
        with gateway.calls.running("call-1", "call-1"):  # type: ignore[arg-type]  # as the gateway counts the calls it runs
            await run_call()
        text = metrics.exposition().decode()
        assert value(text, "voicebot_calls_in_progress", line="sip") == 0
        assert "voicebot_sms_outbox_pending" not in text

    async def run_call() -> None:
        task = asyncio.create_task(handler.handle("call-1"))
        await asyncio.wait_for(handler.started.running.wait(), 10)
        text = metrics.exposition().decode()
        assert value(text, "voicebot_recognizer_queue_depth") == 2
        assert value(text, "voicebot_calls_in_progress", line="sip") == 1
        assert value(text, "voicebot_calls_in_progress", line="twilio") == 0
        call = handler.active["call-1"]
        frames: list[Frame] = [
            VADUserStartedSpeakingFrame(),
            VADUserStoppedSpeakingFrame(stop_secs=0.5),
            heard("mardi"),
            UserStoppedSpeakingFrame(),
            TTSSpeakFrame("Mardi à quelle heure ?"),
            BotStartedSpeakingFrame(),
        ]
        await call.worker.queue_frames(frames)
        deadline = time.monotonic() + 10
        while call.latency is None or not call.latency.waits:
            assert time.monotonic() < deadline, "the reply was not measured"
            await asyncio.sleep(0.02)
        call.dialogue.outcome = HangUp(Outcome(OutcomeKind.GOODBYE))  # type: ignore[misc]  # our small dialogue
        await call.worker.queue_frames([EndWorkerFrame()])
        await asyncio.wait_for(task, 10)

    asyncio.run(scenario())
    text = metrics.exposition().decode()
    assert all(value(text, "voicebot_reply_seconds_count", stage=stage) == 1 for stage in STAGES)
    assert value(text, "voicebot_reply_seconds_sum", stage="first_audio") >= 0.5  # the VAD's silence at least
    assert value(text, "voicebot_calls_total", line="sip", outcome=CallOutcome.COMPLETED.value) == 1
    assert value(text, "voicebot_turns_total", line="sip") == 2
    assert value(text, "voicebot_recognizer_queue_depth") == 0  # no call in progress


def test_the_beeps_count_their_calls_however_they_end() -> None:
    metrics = Metrics("w1")

    class Beeps:
        async def handle(self, call: str) -> None:
            if call == "broken":
                raise OSError("socket gone")

    tones = CountedTones(Beeps(), "sip", metrics)

    async def scenario() -> None:
        await tones.handle("fine")
        with pytest.raises(OSError):
            await tones.handle("broken")

    asyncio.run(scenario())
    assert value(metrics.exposition().decode(), "voicebot_calls_total", line="sip", outcome="tones") == 2


def scrape(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"{url}/metrics", headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`voicebot serve --no-voice --worker-id metrics-test` on the sample practice, its Twilio REST API on a free
    loopback port (where `voicebot call` plays it)."""
    port, api_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBOT_", "TWILIO_"))}
    env |= {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "VOICEBOT_TWILIO_API_URL": f"http://127.0.0.1:{api_port}",
        "PYTHONUNBUFFERED": "1",
    }
    url, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    command = [sys.executable, "-m", "voicebot", "serve", "--no-voice", "--sip-port", "0", "--port", str(port)]
    options = ["--db", f"sqlite:///{tmp_path / 'voicebot.db'}", "--now", NOW.isoformat(), "--worker-id", "metrics-test"]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, *options], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        wait_healthy(url, process, log, timeout=90.0)
        yield url, env, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_a_keypad_call_moves_the_call_metrics_of_a_real_server(server: tuple[str, dict[str, str], Path]) -> None:
    url, env, log = server
    status, text = scrape(url)
    assert status == 200
    [worker] = [dict(labels) for name, labels in samples(text) if name == "voicebot_worker_info"]
    assert worker["worker"] == "metrics-test" and worker["version"]
    assert value(text, "voicebot_calls_in_progress", line="twilio") == 0
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert b'"worker":"metrics-test"' in response.read()
    assert scrape(url, {"X-Forwarded-For": "203.0.113.5"})[0] == 403  # through a proxy: refused

    call = subprocess.Popen(
        [sys.executable, "-m", "voicebot", "call", "--server", url, "--no-speech", "--answer-timeout", "2"]
        + ["--turn-gap", "0.4", "--caller-id", MOBILE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert call.stdin is not None
    try:

        def in_progress() -> float:
            return value(scrape(url)[1], "voicebot_calls_in_progress", line="twilio")

        wait_until(lambda: in_progress() == 1, 60, "the call in progress", every=0.2, details=lambda: log.read_text())
        call.stdin.write("dtmf:5\ndtmf:#\n")
        call.stdin.close()
        assert call.wait(timeout=60) == 0, call.stderr.read() if call.stderr else ""
    finally:
        if call.poll() is None:
            call.kill()
            call.wait()

    def ended() -> bool:
        text = scrape(url)[1]
        done = value(text, "voicebot_calls_total", line="twilio", outcome="tones")
        return done == 1 and value(text, "voicebot_calls_in_progress", line="twilio") == 0

    wait_until(ended, 30, "the call counted and no longer in progress", every=0.2, details=lambda: scrape(url)[1])
    text = scrape(url)[1]
    assert MOBILE not in text and "33612345678" not in text  # nothing personal
    assert value(text, "voicebot_calls_total", line="sip", outcome="tones") == 0


def test_the_speech_cache_counts_add_every_voice_of_the_engines() -> None:
    from types import SimpleNamespace

    from voicebot.pipeline.engines import Engines

    voices: dict[str, Any] = {"fr": SimpleNamespace(hits=3, misses=1), "en": SimpleNamespace(hits=2, misses=4)}
    engines = Engines(recognizer=FakeRecognizer(), synthesizers=voices)
    metrics = Metrics("w1")
    metrics.watch_speech_cache(engines.sentence_counts)
    text = metrics.exposition().decode()
    assert value(text, "voicebot_speech_cache_hits_total") == 5
    assert value(text, "voicebot_speech_cache_misses_total") == 5
