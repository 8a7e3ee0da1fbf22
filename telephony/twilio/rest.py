"""The Twilio REST calls the agent makes: end a call, redirect it to new TwiML (a transfer), send an SMS.

The first two update the Call resource, `POST {base}/2010-04-01/Accounts/{AC}/Calls/{CA}.json`; an SMS is a
`POST {base}/2010-04-01/Accounts/{AC}/Messages.json` with an idempotency token, so that a retry after a lost
answer does not send it twice. All use HTTP basic auth (account SID, auth token). The base URL is configurable,
so that tests and `voicebot call` point it at the local fake (`telephony.twilio.sim.fake_rest`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from telephony.errors import TwilioRestError
from telephony.twilio.twiml import TWILIO_API_URL, call_resource_url, dial_twiml, messages_resource_url

log = logging.getLogger(__name__)

CALL_NOT_FOUND = 20404
"""Twilio's error code for an unknown (or already finished and purged) call."""
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
"""The header that makes Twilio answer a repeated create with the message it already made."""
NO_ANSWER = 0
"""`MessageResult.status_code` when the API gave no HTTP answer (timeout, connection refused or reset)."""


@dataclass(frozen=True)
class CallUpdateResult:
    """Twilio's answer to a call update."""

    status_code: int
    """HTTP status (200 when the call was updated)."""
    call_status: str | None = None
    """The call's `status` after the update (`completed`, `in-progress`...), when Twilio returned the call."""
    error_code: int | None = None
    """Twilio's error `code` on failure (20404: no such call)."""
    message: str = ""

    @property
    def ok(self) -> bool:
        """Whether Twilio accepted the update."""
        return 200 <= self.status_code < 300

    @property
    def already_ended(self) -> bool:
        """Whether the call was gone already (nothing left to do)."""
        return self.error_code == CALL_NOT_FOUND or self.call_status in ("completed", "canceled")

    def describe(self) -> str:
        """A short line for the log: `500 20500: Internal Server Error` (Twilio's message, no body)."""
        code = f" {self.error_code}" if self.error_code is not None else ""
        return f"{self.status_code}{code}: {self.message}" if self.message else f"{self.status_code}{code}"


@dataclass(frozen=True)
class MessageResult:
    """Twilio's answer to a message create (never raised: a send that failed is a result too)."""

    status_code: int
    """HTTP status (201 when the message was accepted); `NO_ANSWER` (0) without an answer."""
    sid: str | None = None
    """The message's SID (`SM...`) when accepted."""
    error_code: int | None = None
    """Twilio's error `code` on failure (21211: invalid `To` number, 20429: too many requests...)."""
    message: str = ""
    """Twilio's error message, or why there was no answer."""
    status: str | None = None
    """The message's `status` when accepted (`queued`, `accepted`...)."""

    @property
    def ok(self) -> bool:
        """Whether Twilio accepted the message (it will deliver it)."""
        return 200 <= self.status_code < 300 and bool(self.sid)

    @property
    def retryable(self) -> bool:
        """Whether trying again later may work: no answer, a server error (5xx), or too many requests (429)."""
        return (
            self.status_code in (NO_ANSWER, 429)
            or self.status_code >= 500
            or (200 <= self.status_code < 300 and not self.sid)
        )

    def describe(self) -> str:
        """A short line for the outbox and the log: `429 20429: Too Many Requests` (no body, no number)."""
        if self.status_code == NO_ANSWER:
            return f"no answer: {self.message}"
        code = f" {self.error_code}" if self.error_code is not None else ""
        return f"{self.status_code}{code}: {self.message}" if self.message else f"{self.status_code}{code}"


@dataclass(frozen=True)
class TwilioRestClient:
    """Updates calls of one Twilio account.

    Args:
        account_sid: The account (`AC...`), also the basic-auth user.
        auth_token: The account's auth token, the basic-auth password (kept out of `repr`).
        base_url: API root, `https://api.twilio.com` by default.
        timeout: Seconds for one request, connection included.
    """

    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str = TWILIO_API_URL
    timeout: float = 10.0

    def call_url(self, call_sid: str) -> str:
        """The call's resource URL."""
        return call_resource_url(self.base_url, self.account_sid, call_sid)

    @property
    def messages_url(self) -> str:
        """The account's Messages resource URL."""
        return messages_resource_url(self.base_url, self.account_sid)

    async def send_message(self, to: str, from_: str, body: str, idempotency_key: str) -> MessageResult:
        """Ask Twilio to send the SMS `body` from `from_` to `to` (E.164 numbers).

        The same `idempotency_key` on a retry gets the message already created, not a second one. Never raises:
        a timeout or a refused connection is a `MessageResult` with `status_code` 0 (retryable).
        """
        headers = {
            "Authorization": aiohttp.encode_basic_auth(self.account_sid, self.auth_token),
            IDEMPOTENCY_HEADER: idempotency_key,
        }
        fields = {"To": to, "From": from_, "Body": body}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        status = NO_ANSWER
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self.messages_url, data=fields, headers=headers) as response:
                    status = response.status
                    answer: Any = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as error:
            if status == NO_ANSWER:
                return MessageResult(NO_ANSWER, message=type(error).__name__)
            return MessageResult(status, message=f"answer cut short ({type(error).__name__})")
        except ValueError:
            return MessageResult(status, message="not JSON")
        if not isinstance(answer, dict):
            answer = {}
        if status < 300:
            sid = answer.get("sid")
            return MessageResult(status, sid if isinstance(sid, str) and sid else None, status=answer.get("status"))
        code = answer.get("code")
        result = MessageResult(status, None, code if isinstance(code, int) else None, str(answer.get("message") or ""))
        log.warning("Twilio refused a message: %s", result.describe())
        return result

    async def hang_up(self, call_sid: str) -> CallUpdateResult:
        """End the call (`Status=completed`); a refusal is the caller's to log (`CallUpdateResult.describe`).

        Raises:
            TwilioRestError: The API could not be reached within `timeout`, or answered something other than JSON.
        """
        return await self.update_call(call_sid, {"Status": "completed"})

    async def transfer(self, call_sid: str, number: str) -> CallUpdateResult:
        """Redirect the call to `<Dial>number</Dial>` (the media stream stops, the caller hears ringing)."""
        return await self.redirect(call_sid, dial_twiml(number))

    async def redirect(self, call_sid: str, twiml: str) -> CallUpdateResult:
        """Make the call leave its current TwiML (our stream) and run `twiml` instead (a refusal is logged)."""
        result = await self.update_call(call_sid, {"Twiml": twiml})
        if not result.ok and not result.already_ended:
            log.warning("Twilio refused the redirect of call %s: %s", call_sid, result.describe())
        return result

    async def update_call(self, call_sid: str, fields: dict[str, str]) -> CallUpdateResult:
        """POST `fields` to the call resource; a refusal comes back as the result, not logged.

        Raises:
            TwilioRestError: The API could not be reached within `timeout`, or answered something other than JSON.
        """
        url = self.call_url(call_sid)
        headers = {"Authorization": aiohttp.encode_basic_auth(self.account_sid, self.auth_token)}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, data=fields, headers=headers) as response:
                    status = response.status
                    body: Any = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TwilioRestError(f"Twilio API unreachable at {self.base_url} ({type(error).__name__})") from error
        except ValueError as error:
            raise TwilioRestError(f"Twilio API answered {status} with something other than JSON") from error
        if not isinstance(body, dict):
            body = {}
        return CallUpdateResult(
            status,
            body.get("status") if status < 300 else None,
            body.get("code") if status >= 300 else None,
            str(body.get("message") or ""),
        )
