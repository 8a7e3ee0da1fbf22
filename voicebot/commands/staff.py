"""`voicebot staff ...`: the staff console's accounts (argon2-hashed passwords)."""

from __future__ import annotations

import sys

import click

from booking.staff import ROLES, StaffError, StaffStore
from voicebot.commands.base import Env, command, fail
from voicebot.console.passwords import hash_password, password_problem


def read_password(confirm: bool = True) -> str:
    """A new password: prompted twice without echo on a terminal, else one line of standard input."""
    try:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        str(password).encode("utf-8")  # undecodable bytes come as lone surrogates, which cannot be hashed
    except UnicodeError:
        fail("the password is not UTF-8 text: type it again, or check the terminal's encoding")
    problem = password_problem(password)
    if problem:
        fail(problem)
    return str(password)


def register(main: click.Group) -> None:
    """Add the `staff` group."""

    @main.group()
    def staff() -> None:
        """Manage the accounts of the staff console (http://HOST:PORT/admin)."""

    def store(env: Env) -> StaffStore:
        return StaffStore(env.service().engine)

    @command(staff, "add")
    @click.argument("username")
    @click.option(
        "--role",
        type=click.Choice(ROLES),
        required=True,
        help="admin: also changes the configuration; secretary: manages appointments.",
    )
    def add(env: Env, username: str, role: str) -> None:
        """Create the account USERNAME (password from a prompt, or one line of stdin)."""
        accounts = store(env)
        if accounts.get(username) is not None:
            raise StaffError(f'a staff account named "{username.strip().lower()}" already exists')
        account = accounts.add(username, role, hash_password(read_password()), env.now())
        accounts.record("cli", "staff.add", f"{account.username} ({role})", env.now())
        click.echo(f"Account {account.username} ({role}) created.")

    @command(staff, "list")
    def list_(env: Env) -> None:
        """List the accounts."""
        accounts = store(env).accounts()
        if not accounts:
            click.echo("No staff account yet: create one with `voicebot staff add NAME --role admin`.")
        for account in accounts:
            state = "" if account.active else " (disabled)"
            click.echo(f"{account.username:<24} {account.role:<10} created {account.created_at:%Y-%m-%d}{state}")

    @command(staff, "passwd")
    @click.argument("username")
    def passwd(env: Env, username: str) -> None:
        """Set a new password for USERNAME (its open sessions end)."""
        accounts = store(env)
        if accounts.get(username) is None:
            raise StaffError(f'no staff account named "{username}"')
        accounts.set_password(username, hash_password(read_password()))
        accounts.record("cli", "staff.passwd", username.strip().lower(), env.now())
        click.echo(f"Password of {username.strip().lower()} changed.")

    @command(staff, "remove")
    @click.argument("username")
    def remove(env: Env, username: str) -> None:
        """Delete the account USERNAME (the audit trail keeps its name)."""
        accounts = store(env)
        accounts.remove(username)
        accounts.record("cli", "staff.remove", username.strip().lower(), env.now())
        click.echo(f"Account {username.strip().lower()} removed.")
