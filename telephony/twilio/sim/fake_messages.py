"""The Messages resource of the fake Twilio API (`fake_rest.FakeTwilio` serves it): create and list SMS.

`POST /2010-04-01/Accounts/{AC}/Messages.json` (form `To`, `From`, `Body`) creates a message and answers 201
with a resource shaped like Twilio's; the header `I-Twilio-Idempotency-Token` makes a repeated create answer the
message it already made. `GET` of the same URL lists them, newest first (`To` and `From` filter). Failures on
demand (`fail`): `"timeout"` (the message is made but the answer never comes in time: the lost answer a retry
must not turn into a second SMS), 500, 429 and 400 (nothing made).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

from aiohttp import web

from telephony.twilio.twiml import API_VERSION

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
Failure = Literal["timeout", 500, 429, 400]
"""What `fail` makes the next creates do."""

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_FAILURES: dict[int, tuple[int, str]] = {
    500: (20500, "Internal Server Error"),
    429: (20429, "Too Many Requests"),
    400: (21211, "Invalid 'To' Phone Number"),
}


_GSM_EXTRA = set("£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤ÄÖÑÜ§¿äöñüà\n\r")


def segment_count(body: str) -> int:
    """How many SMS parts Twilio bills for `body`: GSM-7 (160 alone, 153 a part) when every character is in the
    GSM alphabet (ASCII printable and its accented letters; the fake counts the extension characters as one),
    else UCS-2 (70 alone, 67 a part).
    """
    gsm = all((" " <= c <= "~" and c != "`") or c in _GSM_EXTRA for c in body)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def error_response(status: int, code: int, message: str) -> web.Response:
    """An error answer shaped like Twilio's (`code`, `message`, `more_info`, `status`)."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakeMessage:
    """A message the fake accepted."""

    sid: str
    to: str
    from_: str
    body: str
    idempotency_key: str | None = None
    status: str = "queued"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeMessages:
    """The messages of one account, and the failures still to inject.

    Args:
        account_sid: The account the resources belong to.
        hang_seconds: How long a `"timeout"` failure keeps the request before answering (longer than the
            client waits).
    """

    def __init__(self, account_sid: str, *, hang_seconds: float = 30.0) -> None:
        self.account_sid = account_sid
        self.hang_seconds = hang_seconds
        self.messages: list[FakeMessage] = []
        """Every message made, oldest first (one per idempotency token)."""
        self.creates = 0
        """Create requests received (accepted, repeated or failed)."""
        self._by_token: dict[str, FakeMessage] = {}
        self._failures: deque[Failure] = deque()

    def fail(self, kind: Failure, count: int = 1) -> None:
        """Make the next `count` creates fail with `kind` (after those already asked for)."""
        if kind not in ("timeout", *_FAILURES):
            raise ValueError(f"unknown failure {kind!r}: timeout, 500, 429 or 400")
        self._failures.extend([kind] * count)

    @property
    def failures_left(self) -> int:
        """Injected failures not yet used."""
        return len(self._failures)

    async def create(self, form: dict[str, str], token: str | None) -> tuple[web.Response, FakeMessage | None]:
        """Handle an authorised create; the answer and the message it concerns."""
        self.creates += 1
        for name, code, what in (
            ("To", 21604, "A 'To' phone number is required."),
            ("From", 21603, "A 'From' phone number is required."),
            ("Body", 21602, "Message body is required."),
        ):
            if not form.get(name):
                return error_response(400, code, what), None
        if self._failures:
            kind = self._failures.popleft()
            if kind != "timeout":
                code, message = _FAILURES[kind]
                return error_response(kind, code, message), None
            made = self._find_or_make(form, token)
            await asyncio.sleep(self.hang_seconds)  # the client gives up first: the answer is lost
            return web.json_response(self.resource(made), status=201), made
        if not _E164.fullmatch(form["To"]):
            return error_response(400, 21211, f"The 'To' number {form['To']} is not a valid phone number."), None
        made = self._find_or_make(form, token)
        return web.json_response(self.resource(made), status=201), made

    def listing(self, query: dict[str, str]) -> web.Response:
        """The list answer, newest first, filtered by `To` / `From` when given."""
        found = [
            m
            for m in reversed(self.messages)
            if query.get("To", m.to) == m.to and query.get("From", m.from_) == m.from_
        ]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return web.json_response(
            {
                "messages": [self.resource(m) for m in found],
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": max(len(found) - 1, 0),
                "uri": uri,
                "first_page_uri": uri + "?PageSize=50&Page=0",
                "next_page_uri": None,
                "previous_page_uri": None,
            }
        )

    def _find_or_make(self, form: dict[str, str], token: str | None) -> FakeMessage:
        """The message this token already made, else a new one."""
        if token and token in self._by_token:
            return self._by_token[token]
        made = FakeMessage("SM" + secrets.token_hex(16), form["To"], form["From"], form["Body"], token)
        self.messages.append(made)
        if token:
            self._by_token[token] = made
        return made

    def resource(self, message: FakeMessage) -> dict[str, Any]:
        """The message as Twilio's JSON."""
        created = format_datetime(message.created)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message.sid}.json"
        return {
            "sid": message.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "status": message.status,
            "direction": "outbound-api",
            "num_segments": str(segment_count(message.body)),
            "num_media": "0",
            "messaging_service_sid": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }
