"""A local stand-in for Twilio's REST API (the Call and Messages resources), for tests and `voicebot call`.

It speaks the real protocol for what the agent uses: `POST /2010-04-01/Accounts/{AC}/Calls/{CA}.json` with
`Status=completed` (hang up) or `Twiml=...` / `Url=...` (redirect), and `GET` of the same resource; the
Messages resource (`fake_messages`: create with an idempotency token, list, failures on demand); HTTP basic
auth with the account SID and auth token; JSON answers shaped like Twilio's (the call resource, or an error
with `code`, `message`, `more_info`, `status`). It listens on 127.0.0.1 (a free port unless told one) and
records every request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from telephony.twilio.sim.fake_messages import IDEMPOTENCY_HEADER, Failure, FakeMessage, FakeMessages, error_response
from telephony.twilio.twiml import API_VERSION

UpdateListener = Callable[[str, dict[str, str]], None]
"""Told `(call_sid, form)` after each accepted update (the carrier ends its stream on a hang-up or redirect)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, str]
    status: int
    """The HTTP status it answered."""
    call_sid: str | None = None
    message_sid: str | None = None
    """The message a Messages create made or found again."""


@dataclass
class FakeCall:
    """A call the fake knows about."""

    sid: str
    from_: str = "+15005550006"
    to: str = "+15005550001"
    status: str = "in-progress"
    """`in-progress` until hung up (`completed`); a redirect keeps it in progress."""
    twiml: list[str] = field(default_factory=list)
    """TwiML documents the call was redirected to (`Twiml=`), in order."""
    urls: list[str] = field(default_factory=list)
    """URLs it was redirected to (`Url=`)."""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None


_error = error_response


class FakeTwilio:
    """The fake API server; use `async with FakeTwilio(...) as fake:` then `fake.base_url`.

    Args:
        account_sid: The only account it serves.
        auth_token: Its auth token (basic-auth password).
        host: Address to listen on.
        port: TCP port; 0 picks a free one.
        on_update: Called after each accepted call update.
        hang_seconds: How long an injected message `"timeout"` holds its answer.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_update: UpdateListener | None = None,
        hang_seconds: float = 30.0,
    ) -> None:
        self.account_sid = account_sid
        self._token = auth_token
        self.host = host
        self.port = port
        self.on_update = on_update
        self.calls: dict[str, FakeCall] = {}
        self.requests: list[RecordedRequest] = []
        self.sms = FakeMessages(account_sid, hang_seconds=hang_seconds)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The API root to give the REST client (after `start`)."""
        return f"http://{self.host}:{self.port}"

    def add_call(self, call_sid: str, *, from_: str = "+15005550006", to: str = "+15005550001") -> FakeCall:
        """Register an ongoing call (the carrier does when it places one)."""
        call = FakeCall(call_sid, from_, to)
        self.calls[call_sid] = call
        return call

    @property
    def messages(self) -> list[FakeMessage]:
        """Every SMS the fake accepted, oldest first (one per idempotency token)."""
        return self.sms.messages

    def fail_messages(self, kind: Failure, count: int = 1) -> None:
        """Make the next `count` message creates fail: `"timeout"` (made, but the answer comes too late), 500,
        429 or 400 (nothing made).
        """
        self.sms.fail(kind, count)

    async def start(self) -> str:
        """Start listening; returns the base URL."""
        app = web.Application()
        route = f"/{API_VERSION}/Accounts/{{account}}/Calls/{{call}}.json"
        app.router.add_post(route, self._update)
        app.router.add_get(route, self._fetch)
        messages = f"/{API_VERSION}/Accounts/{{account}}/Messages.json"
        app.router.add_post(messages, self._create_message)
        app.router.add_get(messages, self._list_messages)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.base_url

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTwilio:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until `predicate()` holds, checked after each request (wrap it in `asyncio.timeout`)."""
        while not predicate():
            self._changed.clear()
            await self._changed.wait()

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(password, self._token)

    def _record(
        self, request: web.Request, form: dict[str, str], response: web.Response, message_sid: str | None = None
    ) -> web.Response:
        call_sid = request.match_info.get("call")
        self.requests.append(
            RecordedRequest(request.method, request.path, form, response.status, call_sid, message_sid)
        )
        self._changed.set()
        return response

    def _check_account(self, request: web.Request) -> web.Response | None:
        if not self._authorized(request):
            return _error(401, 20003, "Authentication Error - invalid username or password")
        if request.match_info["account"] != self.account_sid:
            return _error(403, 20003, "Authentication Error - account does not match the credentials")
        return None

    async def _create_message(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        refused = self._check_account(request)
        if refused is not None:
            return self._record(request, form, refused)
        response, made = await self.sms.create(form, request.headers.get(IDEMPOTENCY_HEADER))
        return self._record(request, form, response, made.sid if made else None)

    async def _list_messages(self, request: web.Request) -> web.Response:
        refused = self._check_account(request)
        response = refused if refused is not None else self.sms.listing(dict(request.query))
        return self._record(request, {}, response)

    def _check(self, request: web.Request) -> web.Response | FakeCall:
        refused = self._check_account(request)
        if refused is not None:
            return refused
        call = self.calls.get(request.match_info["call"])
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return call

    async def _fetch(self, request: web.Request) -> web.Response:
        checked = self._check(request)
        response = checked if isinstance(checked, web.Response) else web.json_response(self._resource(checked))
        return self._record(request, {}, response)

    async def _update(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        checked = self._check(request)
        if isinstance(checked, web.Response):
            return self._record(request, form, checked)
        call = checked
        if form.get("Status") in ("completed", "canceled"):
            if call.status != "completed":
                call.status, call.ended = "completed", datetime.now(UTC)
        elif "Twiml" in form or "Url" in form:
            if call.status != "in-progress":
                return self._record(request, form, _error(400, 21220, "Call is not in-progress. Cannot redirect."))
            (call.twiml if "Twiml" in form else call.urls).append(form.get("Twiml") or form.get("Url", ""))
        else:
            return self._record(request, form, _error(400, 20001, "Status, Twiml or Url is required"))
        response = self._record(request, form, web.json_response(self._resource(call)))
        if self.on_update is not None:
            self.on_update(call.sid, form)
        return response

    def _resource(self, call: FakeCall) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call.sid}.json"
        ended = call.ended
        return {
            "sid": call.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "direction": "inbound",
            "from": call.from_,
            "from_formatted": call.from_,
            "to": call.to,
            "to_formatted": call.to,
            "status": call.status,
            "start_time": format_datetime(call.created),
            "end_time": format_datetime(ended) if ended else None,
            "duration": str(int((ended - call.created).total_seconds())) if ended else None,
            "date_created": format_datetime(call.created),
            "date_updated": format_datetime(ended or call.created),
            "parent_call_sid": None,
            "price": None,
            "price_unit": "USD",
            "answered_by": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "phone_number_sid": None,
            "trunk_sid": None,
            "queue_time": "0",
            "annotation": None,
            "uri": uri,
            "subresource_uris": {"recordings": uri.replace(".json", "/Recordings.json")},
        }
