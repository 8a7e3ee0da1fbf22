"""What `voicebot serve` tells Prometheus (`GET /metrics`): its calls, their turns, how long callers wait for the
bot's replies, the recogniser's queue, the speech cache, speculative replies, the texts waiting to be sent.

One `Metrics` per server, on a registry of its own (not prometheus_client's global one, so that tests can build
several servers in one process). Every label takes a value from a small fixed set (the line, the outcome, the
stage): nothing personal (no number, no name, no words) can reach the exposition.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from telephony.draining import DrainingGateway

log = logging.getLogger(__name__)

LINES = ("twilio", "sip")
"""The `line` label's values."""
OUTCOMES = ("completed", "transferred", "hung_up", "closed", "cancelled", "transfer_failed", "tones")
"""The `outcome` label's values: `voicebot.phone.calls.CallOutcome`'s, and `tones` for a call answered by the
beeps that stand in for the voice pipeline when the speech models are not loaded."""
STAGES = ("recognition", "end_of_turn", "dialogue", "first_audio")
"""The `stage` label's values: seconds from the end of the caller's speech to the transcript of the turn, the
turn's end, the dialogue's reply and the bot's first audio (`voicebot.pipeline.latency.STAGES`)."""
REPLY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
"""Histogram buckets of `voicebot_reply_seconds`, in seconds: most replies take 0.1 to 5 s."""


def package_version() -> str:
    """The installed voicebot's version ("unknown" when run from a tree that is not installed)."""
    try:
        return version("voicebot")
    except PackageNotFoundError:
        return "unknown"


class OutboxCollector(Collector):
    """`voicebot_sms_outbox_pending`, read at each scrape (one count query); left out when it cannot be read."""

    def __init__(self) -> None:
        self.pending: Callable[[], int] | None = None

    def collect(self) -> Iterable[Metric]:
        """The count of texts queued or being sent, when it can be read now."""
        if self.pending is None:
            return []
        try:
            count = self.pending()
        except Exception as error:  # the database is down: the scrape goes on without this metric
            log.warning("metrics: the SMS outbox could not be read (%s)", type(error).__name__)
            return []
        return [GaugeMetricFamily("voicebot_sms_outbox_pending", "Texts queued or being sent.", value=count)]


class SpeechCacheCollector(Collector):
    """`voicebot_speech_cache_hits` and `_misses`: the calls' sentences said from the synthesizers' caches (memory
    or disk) or rendered, read at each scrape from `counts` (0 and 0 until it is set).
    """

    def __init__(self) -> None:
        self.counts: Callable[[], tuple[int, int]] | None = None

    def collect(self) -> Iterable[Metric]:
        """The hits and misses so far."""
        hits, misses = self.counts() if self.counts is not None else (0, 0)
        return [
            CounterMetricFamily("voicebot_speech_cache_hits", "Bot sentences said from the speech cache.", value=hits),
            CounterMetricFamily(
                "voicebot_speech_cache_misses", "Bot sentences synthesised during a call (not cached).", value=misses
            ),
        ]


class Metrics:
    """The server's metrics and the calls that feed them.

    Args:
        worker: This server's name among several (`voicebot serve --worker-id`).
        allow: Networks besides loopback that may read them (`voicebot.settings.metrics_allow_ips`).
        service_version: The software's version (default: the installed package's).
    """

    def __init__(self, worker: str, *, allow: tuple[str, ...] = (), service_version: str | None = None) -> None:
        self.worker = worker
        self.allow = allow
        self.registry = CollectorRegistry()
        registry = self.registry
        self.calls_in_progress = Gauge(
            "voicebot_calls_in_progress", "Calls in progress, by line.", ["line"], registry=registry
        )
        self.calls = Counter(
            "voicebot_calls", "Calls ended, by line and outcome.", ["line", "outcome"], registry=registry
        )
        self.turns = Counter(
            "voicebot_turns",
            "Caller turns (speech or keys) the dialogue answered, by line.",
            ["line"],
            registry=registry,
        )
        self.reply_seconds = Histogram(
            "voicebot_reply_seconds",
            "Seconds from the end of the caller's speech to each stage of the bot's reply.",
            ["stage"],
            buckets=REPLY_BUCKETS,
            registry=registry,
        )
        self.recognizer_queue_depth = Gauge(
            "voicebot_recognizer_queue_depth",
            "Caller turns waiting for the speech recogniser or being recognised, all calls together.",
            registry=registry,
        )
        self.speech_cache = SpeechCacheCollector()
        registry.register(self.speech_cache)
        self.speculations = Counter(
            "voicebot_speculations",
            "Replies prepared before the caller's turn ended, by result.",
            ["result"],
            registry=registry,
        )
        self.outbox = OutboxCollector()
        registry.register(self.outbox)
        Info("voicebot_worker", "This server: its worker id and version.", registry=registry).info(
            {"worker": worker, "version": service_version or package_version()}
        )
        for line in LINES:  # every series exists from the start, at 0
            self.calls_in_progress.labels(line=line)
            self.turns.labels(line=line)
            for outcome in OUTCOMES:
                self.calls.labels(line=line, outcome=outcome)
        for stage in STAGES:
            self.reply_seconds.labels(stage=stage)
        for result in ("used", "dropped"):
            self.speculations.labels(result=result)

    def watch_calls(self, line: str, count: Callable[[], int]) -> None:
        """Read the calls in progress on `line` from `count` (e.g. the gateway's `active`) at each scrape."""
        self.calls_in_progress.labels(line=_known(line, LINES)).set_function(lambda: float(count()))

    def watch_recognizer(self, depth: Callable[[], int]) -> None:
        """Read the recogniser's queue depth from `depth` at each scrape."""
        self.recognizer_queue_depth.set_function(lambda: float(depth()))

    def watch_outbox(self, pending: Callable[[], int]) -> None:
        """Read the texts waiting to be sent from `pending` at each scrape (a failure leaves the metric out)."""
        self.outbox.pending = pending

    def watch_server(self, engine: Engine, *gateways: DrainingGateway[Any, Any] | None) -> None:
        """Read, at each scrape, the gateways' calls in progress, the recogniser's queue (over the voice
        pipeline's calls) and the SMS outbox of `engine`.
        """
        voices: list[Any] = []  # the voice pipeline's handlers (`voicebot.phone.calls.PipelineHandler`)
        for gateway in gateways:
            if gateway is not None:
                self.watch_calls(gateway.calls.line.lower(), _counter(gateway.active))
                if hasattr(gateway.handler, "recognizer_pending"):
                    voices.append(gateway.handler)
        self.watch_recognizer(lambda: sum(int(handler.recognizer_pending) for handler in voices))
        self.watch_outbox(lambda: outbox_pending(engine))

    def call_ended(self, line: str, outcome: str, turns: int = 0) -> None:
        """Count a finished call on `line`, its `outcome` and the caller `turns` the dialogue answered."""
        self.calls.labels(line=_known(line, LINES), outcome=_known(outcome, OUTCOMES)).inc()
        if turns:
            self.turns.labels(line=line).inc(turns)

    def reply(self, stages: Mapping[str, float]) -> None:
        """Observe one reply's seconds at each stage it reached (`STAGES`)."""
        for stage, seconds in stages.items():
            if math.isfinite(seconds):
                self.reply_seconds.labels(stage=_known(stage, STAGES)).observe(max(seconds, 0.0))

    def watch_speech_cache(self, counts: Callable[[], tuple[int, int]]) -> None:
        """Read the calls' sentence look-ups (hits, misses) from `counts` at each scrape."""
        self.speech_cache.counts = counts

    def speculation(self, used: bool) -> None:
        """Count one reply prepared ahead of the turn's end: `used`, or dropped (the caller said otherwise)."""
        self.speculations.labels(result="used" if used else "dropped").inc()

    def exposition(self) -> bytes:
        """The text exposition format of every metric (`prometheus_client.CONTENT_TYPE_LATEST`)."""
        return generate_latest(self.registry)


def outbox_pending(engine: Engine) -> int:
    """How many texts of the outbox are queued or being sent (one count query on its status index)."""
    from sqlalchemy import func, select
    from sqlmodel import col

    from booking.models import SmsMessageRow

    query = select(func.count()).select_from(SmsMessageRow).where(col(SmsMessageRow.status).in_(("queued", "sending")))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _counter(calls: Mapping[str, object]) -> Callable[[], int]:
    """How many calls `calls` (a gateway's `active`, which changes as calls come and go) holds now."""
    return lambda: len(calls)


def _known(value: str, allowed: Collection[str]) -> str:
    """`value` when it is one of the label's fixed values (a label never carries anything else)."""
    if value not in allowed:
        raise ValueError(f"{value!r} is none of {sorted(allowed)}")
    return value


def scrape_allowed(client: str | None, proxied: bool, networks: Iterable[str]) -> bool:
    """Whether a client may read `/metrics`: its address is in `networks` (`--metrics-allow-ips`), or it is
    loopback and the request came straight, not through a proxy (`proxied`: it carries `X-Forwarded-For` or
    `Forwarded`; a proxy on the same machine would otherwise make everyone loopback).
    """
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in ipaddress.ip_network(network, strict=False) for network in networks):
        return True
    return address.is_loopback and not proxied
