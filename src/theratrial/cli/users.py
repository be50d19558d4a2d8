"""``theratrial users``: local accounts of the trial service (add, list, disable).

Passwords are read from standard input only (``--password-stdin``), never from the command
line, where they would be visible in the process list and the shell history. Every change
writes an audit record whose actor is ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
import os
import sys

import typer
from rich.table import Table

from theratrial.api.accounts import add_user, disable_user, list_users
from theratrial.api.permissions import Role
from theratrial.cli._common import DB_OPTION, console, handle_errors, print_json, print_table
from theratrial.errors import ParameterError
from theratrial.store import connect, session_scope

__all__ = ["cli_actor", "register", "users_app"]

users_app = typer.Typer(
    help="Local user accounts of the trial service: add, list, disable.",
    no_args_is_help=True,
)


def cli_actor() -> str:
    """The audit actor of a CLI command: ``cli:<operating-system user>``."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = f"uid{os.getuid()}"
    return f"cli:{name}"


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise ParameterError(
            "no password on standard input",
            field="--password-stdin",
            hint="pipe the password in, e.g. printf '%s' \"$PW\" | theratrial users add ...",
        )
    return password


@users_app.command("add")
def add_command(
    username: str = typer.Argument(..., help="3-64 letters, digits, '.', '_' or '-'."),
    role: Role = typer.Option(..., "--role", help="The user's role.", case_sensitive=False),
    sites: list[str] = typer.Option(
        [], "--site", help="A site code of the user (repeat for several; new codes are created)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password (12+ characters) from standard input."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Add a user with a role at one or more sites; the password comes from standard input."""
    with handle_errors():
        if not password_stdin:
            raise ParameterError(
                "the password must come from standard input",
                field="--password-stdin",
                hint="add --password-stdin and pipe the password in",
            )
        password = _read_password()
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                added = add_user(
                    session, username, role=role, sites=sites, password=password, actor=cli_actor()
                )
        finally:
            engine.dispose()
        where = ", ".join(sorted(added.site_codes)) or "every site"
        console.print(
            f"added user {added.username} ({added.role.value}) at {where}", highlight=False
        )


@users_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    db: str | None = DB_OPTION,
) -> None:
    """List the users: role, sites, disabled or locked, last log-in."""
    with handle_errors():
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                users = list_users(session)
        finally:
            engine.dispose()
        if as_json:
            print_json(users)
            return
        table = Table("username", "role", "sites", "state", "last log-in (UTC)")
        for user in users:
            state = "disabled" if user.disabled else "active"
            if user.locked_until is not None and not user.disabled:
                state = f"locked until {user.locked_until:%Y-%m-%d %H:%M}"
            last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
            table.add_row(
                user.username, user.role.value, ", ".join(user.sites) or "all", state, last
            )
        print_table(table)


@users_app.command("disable")
def disable_command(
    username: str = typer.Argument(..., help="The user to disable."),
    db: str | None = DB_OPTION,
) -> None:
    """Disable a user: log-in refused, open sessions closed, API tokens refused."""
    with handle_errors():
        engine = connect(db)
        try:
            with session_scope(engine) as session:
                disable_user(session, username, actor=cli_actor())
        finally:
            engine.dispose()
        console.print(f"disabled user {username}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``users`` to the top-level app."""
    app.add_typer(users_app, name="users")
