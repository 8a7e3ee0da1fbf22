"""The SMS sender of `voicebot serve`: delivers what the outbox holds through Twilio's Messages resource.

Every few seconds a round: queue the reminders now due, claim a batch of messages (`booking`'s `Outbox.claim`:
queued ones whose time has come, and ones a dead worker left `sending` past their lease), send them together,
and record each outcome:

- accepted (2xx with a SID): `mark_sent`;
- no answer (timeout, refused connection), 5xx or 429: `retry_later` after a growing delay (`RetryPolicy`), then
  `mark_failed` once `max_attempts` were made;
- any other 4xx (a bad number, a refused account): `mark_failed` at once, with Twilio's error.

A message is never sent twice: its stored state says whether it is due, and each send carries the message's own
idempotency key, so that a retry after a lost answer (or a worker killed after Twilio accepted the message but
before `mark_sent`) gets back the message Twilio already made. Several servers share one outbox: `claim` hands
each message to one of them. Nothing of a message's body is logged.

The pace has defaults fit for a practice; `sender_tuning` reads four environment variables that change it (tests,
and a practice that wants its texts out sooner): `VOICEBOT_SMS_EVERY_SECONDS` (between rounds, 5),
`VOICEBOT_SMS_TIMEOUT_SECONDS` (one send, 10), `VOICEBOT_SMS_LEASE_SECONDS` (how long a claimed message stays
this server's, 60; longer than a send), `VOICEBOT_SMS_RETRY_SECONDS` (the waits after failed tries, comma-separated,
the last one repeating: 5,30,120,600,1800,3600).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from telephony.twilio.rest import MessageResult
from voicebot.settings import BadSetting, Clock

if TYPE_CHECKING:
    from booking.service import BookingService
    from telephony.twilio.settings import TwilioSettings

log = logging.getLogger(__name__)


class Outgoing(Protocol):
    """A claimed message (`booking`'s `OutgoingSms`)."""

    @property
    def id(self) -> int:
        """The outbox row."""
        ...

    @property
    def to_phone(self) -> str:
        """The patient's number, E.164."""
        ...

    @property
    def body(self) -> str:
        """The text."""
        ...

    @property
    def idempotency_key(self) -> str:
        """The message's own key, the same on every try."""
        ...

    @property
    def attempts(self) -> int:
        """Sends tried so far, this one included (the claim counts it)."""
        ...


class OutboxPort(Protocol):
    """What the sender needs of the outbox (`booking`'s `Outbox`)."""

    def claim(self, now: datetime, *, limit: int = 10, lease_seconds: float = 60) -> Sequence[Outgoing]:
        """Take the messages due at `now` (status `sending`, `attempts` + 1)."""
        ...

    def mark_sent(self, message_id: int, twilio_sid: str, now: datetime) -> object:
        """Twilio accepted it."""
        ...

    def retry_later(self, message_id: int, error: str, at: datetime) -> object:
        """Back to `queued`, due at `at`."""
        ...

    def mark_failed(self, message_id: int, error: str, now: datetime) -> object:
        """Given up, with the error."""
        ...


class MessagesApi(Protocol):
    """Twilio's Messages resource (`telephony.twilio.rest.TwilioRestClient`)."""

    async def send_message(self, to: str, from_: str, body: str, idempotency_key: str) -> MessageResult:
        """Create the message; never raises."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How long a message that could not be sent waits before the next try, and when to give up."""

    delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
    """Seconds after the 1st, 2nd... failed try; the last one repeats."""
    max_attempts: int = 10
    """Tries in all; a message still not accepted after them is `failed` (about 7 hours with the delays above)."""

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th try failed."""
        return self.delays[min(max(attempts, 1), len(self.delays)) - 1]


def moving_clock(clock: Clock, zone: ZoneInfo) -> Callable[[], datetime]:
    """The sender's now: the server's clock, which moves on from a frozen `--now` (else retries never come due)."""
    if clock.frozen is None:
        return lambda: clock.now(zone)
    start, since = clock.now(zone), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - since)


class SmsSender:
    """The sending loop; `run` until cancelled (or `stop`), `round` once (tests).

    Args:
        outbox: Where the messages wait.
        api: Twilio's Messages resource.
        from_number: The sender's number (E.164), asked at each round (the practice's phone may change).
        now: The sender's clock (`moving_clock`).
        reminders: Queues the reminders due at `now`, returns how many (`None`: no reminders).
        policy: Retry delays and the number of tries.
        every: Seconds between rounds that found nothing more to send.
        batch: Messages claimed per round (sent concurrently).
        lease_seconds: How long a claimed message is this sender's; longer than a send takes (the API timeout).
    """

    def __init__(
        self,
        outbox: OutboxPort,
        api: MessagesApi,
        from_number: Callable[[], str],
        now: Callable[[], datetime],
        *,
        reminders: Callable[[datetime], int] | None = None,
        policy: RetryPolicy | None = None,
        every: float = 5.0,
        batch: int = 10,
        lease_seconds: float = 60,
    ) -> None:
        self.outbox = outbox
        self.api = api
        self.from_number = from_number
        self.now = now
        self.reminders = reminders
        self.policy = policy or RetryPolicy()
        self.every = every
        self.batch = batch
        self.lease_seconds = lease_seconds
        self._stopping = asyncio.Event()

    async def round(self) -> int:
        """Queue due reminders, claim a batch and send it; how many messages were claimed."""
        if self.reminders is not None:
            try:
                queued = await asyncio.to_thread(self.reminders, self.now())
            except Exception as error:  # the messages already queued still go out
                log.warning("SMS reminders not queued (%s): tried again next round", type(error).__name__)
            else:
                if queued:
                    log.info("SMS: %d reminder(s) queued", queued)
        claimed = await asyncio.to_thread(
            self.outbox.claim, self.now(), limit=self.batch, lease_seconds=self.lease_seconds
        )
        if not claimed:
            return 0
        from_ = await asyncio.to_thread(self.from_number)
        await asyncio.gather(*(self._send(message, from_) for message in claimed))
        return len(claimed)

    async def _send(self, message: Outgoing, from_: str) -> None:
        result = await self.api.send_message(message.to_phone, from_, message.body, message.idempotency_key)
        now = self.now()
        if result.ok and result.sid:
            await asyncio.to_thread(self.outbox.mark_sent, message.id, result.sid, now)
            log.info("SMS %d sent (%s, try %d)", message.id, result.sid, message.attempts)
        elif result.retryable and message.attempts < self.policy.max_attempts:
            at = now + timedelta(seconds=self.policy.delay(message.attempts))
            await asyncio.to_thread(self.outbox.retry_later, message.id, result.describe(), at)
            log.warning("SMS %d not sent (%s): try %d at %s", message.id, result.describe(), message.attempts + 1, at)
        else:
            await asyncio.to_thread(self.outbox.mark_failed, message.id, result.describe(), now)
            log.error("SMS %d failed after %d tries: %s", message.id, message.attempts, result.describe())

    async def run(self) -> None:
        """Rounds until `stop` (or cancelled); a full batch is followed at once by the next round."""
        while not self._stopping.is_set():
            try:
                claimed = await self.round()
            except Exception as error:  # the database may be back next round
                log.warning("SMS round failed (%s): tried again in %.0f s", type(error).__name__, self.every)
                claimed = 0
            if claimed < self.batch:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.every)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        """Finish the round in progress (its sends are recorded), then return from `run`."""
        self._stopping.set()


@dataclass(frozen=True)
class SenderTuning:
    """The pace of `voicebot serve`'s sender (`sender_tuning` reads it from the environment)."""

    every: float = 5.0
    """Seconds between rounds that found nothing more to send."""
    timeout: float = 10.0
    """Seconds one send may take (Twilio's answer included)."""
    lease_seconds: float = 60.0
    """How long a claimed message is this server's; a server killed meanwhile leaves it to be claimed again."""
    retry_delays: tuple[float, ...] = field(default_factory=lambda: RetryPolicy().delays)
    """`RetryPolicy.delays`."""


TUNING_ENV = {
    "every": "VOICEBOT_SMS_EVERY_SECONDS",
    "timeout": "VOICEBOT_SMS_TIMEOUT_SECONDS",
    "lease_seconds": "VOICEBOT_SMS_LEASE_SECONDS",
    "retry_delays": "VOICEBOT_SMS_RETRY_SECONDS",
}
"""The environment variable of each `SenderTuning` field."""


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise BadSetting(f"{name} must be a number of seconds, more than 0 and at most 86400 (not {text!r})")
    return value


def sender_tuning(environ: Mapping[str, str] | None = None) -> SenderTuning:
    """The sender's pace from the environment (default `os.environ`); unset variables keep the defaults.

    Raises:
        BadSetting: A value is not a positive number of seconds, or the lease is not longer than a send.
    """
    env = os.environ if environ is None else environ
    default = SenderTuning()
    values: dict[str, float] = {}
    for name in ("every", "timeout", "lease_seconds"):
        text = env.get(TUNING_ENV[name], "").strip()
        values[name] = _seconds(TUNING_ENV[name], text) if text else getattr(default, name)
    delays_text = env.get(TUNING_ENV["retry_delays"], "").strip()
    delays = default.retry_delays
    if delays_text:
        delays = tuple(_seconds(TUNING_ENV["retry_delays"], part.strip()) for part in delays_text.split(","))
    if values["lease_seconds"] <= values["timeout"]:
        raise BadSetting(
            f"{TUNING_ENV['lease_seconds']} ({values['lease_seconds']:g}) must be longer than a send, "
            f"{TUNING_ENV['timeout']} ({values['timeout']:g}): else another server could take a text still being "
            "sent"
        )
    return SenderTuning(values["every"], values["timeout"], values["lease_seconds"], delays)


def compose_sender(
    service: BookingService, clock: Clock, settings: TwilioSettings, tuning: SenderTuning | None = None
) -> SmsSender:
    """The sender of `voicebot serve`: Twilio's Messages resource of the gateway's account, from
    VOICEBOT_TWILIO_SMS_FROM or else the practice's phone; reminders queued while the clinic file's `[sms]` is on
    with a `reminder_hours`; its pace from `tuning` (default: `sender_tuning()`, the environment).

    Raises:
        BadSetting: The environment's pace is unusable (`sender_tuning`).
    """
    from booking.phones import to_e164
    from booking.sms_outbox import Outbox
    from telephony.twilio.rest import TwilioRestClient
    from voicebot.sms_texts import SmsTexts

    tuning = tuning or sender_tuning()
    outbox, texts = Outbox(service.engine), SmsTexts()

    def from_number() -> str:
        if settings.sms_from:
            return settings.sms_from
        practice = service.clinic().practice
        return to_e164(practice.phone, practice.country) or practice.phone

    def reminders(now: datetime) -> int:
        sms = service.clinic().sms
        if not sms.enabled or sms.reminder_hours is None:
            return 0
        return int(outbox.queue_reminders(now, sms.reminder_hours, texts, service.engine))

    api = TwilioRestClient(settings.account_sid, settings.auth_token, settings.api_base_url, timeout=tuning.timeout)
    return SmsSender(
        outbox,
        api,
        from_number,
        moving_clock(clock, service.clinic().practice.zone),
        reminders=reminders,
        policy=RetryPolicy(delays=tuning.retry_delays),
        every=tuning.every,
        lease_seconds=tuning.lease_seconds,
    )
