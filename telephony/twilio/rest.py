"""The two Twilio REST calls the agent makes: end a call, and redirect it to new TwiML (a transfer).

Both update the Call resource, `POST {base}/2010-04-01/Accounts/{AC}/Calls/{CA}.json`, with HTTP basic auth
(account SID, auth token). The base URL is configurable, so that tests and `voicebot call` point it at the
local fake (`telephony.twilio.sim.fake_rest`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from telephony.errors import TwilioRestError
from telephony.twilio.twiml import TWILIO_API_URL, call_resource_url, dial_twiml

log = logging.getLogger(__name__)

CALL_NOT_FOUND = 20404
"""Twilio's error code for an unknown (or already finished and purged) call."""


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

    async def hang_up(self, call_sid: str) -> CallUpdateResult:
        """End the call (`Status=completed`)."""
        return await self.update_call(call_sid, {"Status": "completed"})

    async def transfer(self, call_sid: str, number: str) -> CallUpdateResult:
        """Redirect the call to `<Dial>number</Dial>` (the media stream stops, the caller hears ringing)."""
        return await self.redirect(call_sid, dial_twiml(number))

    async def redirect(self, call_sid: str, twiml: str) -> CallUpdateResult:
        """Make the call leave its current TwiML (our stream) and run `twiml` instead."""
        return await self.update_call(call_sid, {"Twiml": twiml})

    async def update_call(self, call_sid: str, fields: dict[str, str]) -> CallUpdateResult:
        """POST `fields` to the call resource.

        Raises:
            TwilioRestError: The API could not be reached in time, or answered something other than JSON.
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
            raise TwilioRestError(f"Twilio API unreachable ({type(error).__name__}): {url}") from error
        except ValueError as error:
            raise TwilioRestError(f"Twilio API answered {status} with something other than JSON") from error
        if not isinstance(body, dict):
            body = {}
        result = CallUpdateResult(
            status,
            body.get("status") if status < 300 else None,
            body.get("code") if status >= 300 else None,
            str(body.get("message") or ""),
        )
        if not result.ok and not result.already_ended:
            log.warning("Twilio refused the update of call %s: %s %s", call_sid, status, result.message)
        return result
