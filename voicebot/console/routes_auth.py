"""Logging in and out of the staff console."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.console.context import PREFIX, ConsoleContext
from voicebot.console.passwords import verify_password


def _safe_next(target: str) -> str:
    """Only paths inside the console may be returned to after logging in (no open redirect)."""
    if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _address(request: Request) -> str:
    """The client's address: the connecting one, or what a trusted proxy says (`voicebot serve
    --forwarded-allow-ips`, applied by uvicorn before the request reaches us).
    """
    return request.client.host if request.client else "?"


def auth_routers(ctx: ConsoleContext) -> tuple[APIRouter, APIRouter]:
    """The public login router and the logged-in logout router."""
    public = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.check_csrf)])
    private = APIRouter(prefix=PREFIX, dependencies=[Depends(ctx.require_user), Depends(ctx.check_csrf)])

    def login_page(
        request: Request, status: int = 200, error: str = "", username: str = "", next_url: str = ""
    ) -> Response:
        session = ctx.sessions.read(request)
        fresh = session is None or bool(session.username)
        if fresh:
            session = ctx.sessions.new()
        request.state.session = session
        response = ctx.render(
            request,
            "login.html",
            status=status,
            error=error,
            username=username,
            next_url=_safe_next(next_url or request.query_params.get("next", "")),
        )
        if fresh and session is not None:
            ctx.sessions.write(response, request, session)
        return response

    @public.get("/login")
    def login_form(request: Request) -> Response:
        """The login page (already logged in: go to the day list)."""
        if ctx.viewer(request) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next", "")), status_code=303)
        return login_page(request)

    @public.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next_url: Annotated[str, Form(alias="next")] = "",
    ) -> Response:
        """Check the password (wrong ones counted per user name and per address) and open a session."""
        address = _address(request)
        wait = ctx.throttle.retry_after(username, address)
        if wait > 0:
            return login_page(request, 429, "throttled:" + str(math.ceil(wait / 60)), username, next_url)
        account = ctx.staff.get(username) if username.strip() else None
        valid = verify_password(account.password_hash if account else None, password, ctx.hasher)
        if account is None or not valid or not account.active:
            ctx.throttle.failed(username, address)
            return login_page(request, 401, "wrong", username, next_url)
        ctx.throttle.succeeded(username, address)
        old = ctx.sessions.read(request)
        if old is not None:
            ctx.sessions.revoke(old)
        response = RedirectResponse(_safe_next(next_url), status_code=303)
        ctx.sessions.write(response, request, ctx.sessions.new(account.username, account.password_hash))
        ctx.decorate(response, request)
        ctx.audit(account, "login", f"from {address}")
        return response

    @private.post("/logout")
    def logout(request: Request) -> Response:
        """End the session and return to the login page."""
        ctx.sessions.revoke(request.state.session)
        response = RedirectResponse(PREFIX + "/login", status_code=303)
        ctx.sessions.clear(response, request)
        ctx.decorate(response, request)
        return response

    return public, private
