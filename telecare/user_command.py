"""``telecare user``: create the first administrator, then users, their households and API tokens.

  telecare user add alex --role admin                 (asks for the password)
  echo "$PASSWORD" | telecare user add sam --role responder --household hub-1 --household hub-2 --password-stdin
  telecare user token sam --name "night tablet"       (prints a bearer token, once)
  telecare user link sam hub-3                        (adds households)
  telecare user disable sam
  telecare user list
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from telecare.accounts import (
    AccountError,
    Role,
    create_user,
    household_ids_of,
    issue_api_token,
    set_households,
)
from telecare.households import household_ids


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="user commands", metavar="ACTION")
    add = sub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", default="", help="display name (shown in timelines)")
    add.add_argument("--household", action="append", default=[], metavar="HUB",
                     help="a household this user may see (repeat)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(action=_add)
    token = sub.add_parser("token", help="create an API token for a user (printed once)")
    token.add_argument("username")
    token.add_argument("--name", default="cli")
    token.set_defaults(action=_token)
    link = sub.add_parser("link", help="let a user see more households")
    link.add_argument("username")
    link.add_argument("hubs", nargs="+", metavar="HUB")
    link.set_defaults(action=_link)
    disable = sub.add_parser("disable", help="stop a user signing in (sessions and tokens stop working)")
    disable.add_argument("username")
    disable.set_defaults(action=_disable)
    lst = sub.add_parser("list", help="list users")
    lst.set_defaults(action=_list)


def run(args: argparse.Namespace) -> int:
    from telecare.cli import load_settings
    from telecare.db import command_database, session_scope

    if not getattr(args, "action", None):
        print("choose an action; see telecare user --help", file=sys.stderr)
        return 2
    settings = load_settings()
    with command_database(settings.sqlalchemy_url) as factory:
        try:
            with session_scope(factory) as session:
                return args.action(session, args)
        except (AccountError, LookupError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1


def _user(session, username: str):
    from telecare.account_models import User

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise LookupError(f"no user {username!r}")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _add(session, args) -> int:
    user = create_user(session, args.username, _read_password(args.password_stdin), args.role,
                       display_name=args.name, households=household_ids(session, args.household))
    print(f"created {user.role} {user.username}")
    return 0


def _token(session, args) -> int:
    print(issue_api_token(session, _user(session, args.username), args.name))
    return 0


def _link(session, args) -> int:
    user = _user(session, args.username)
    set_households(session, user, household_ids_of(session, user.id) | set(household_ids(session, args.hubs)))
    print(f"{user.username} now sees {len(household_ids_of(session, user.id))} households")
    return 0


def _disable(session, args) -> int:
    _user(session, args.username).active = False
    print(f"disabled {args.username}")
    return 0


def _list(session, args) -> int:
    from telecare.account_models import User

    for user in session.scalars(select(User).order_by(User.username)):
        seen = "all" if user.role == "admin" else str(len(household_ids_of(session, user.id)))
        print(f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}\thouseholds: {seen}")
    return 0
