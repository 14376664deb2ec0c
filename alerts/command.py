"""``telecare contact ...`` and ``telecare channel test``: the care circle from the command line.

The service's CLI wires these in with ``add_contact_arguments(subparser)`` / ``add_channel_arguments``
and their ``run_*`` handlers. They work on the database named by the settings, with or without a
running service; a running service picks changes up at its next alert.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from alerts import channels
from alerts.care_circle import CareCircleError, add_contact, contacts_of, household_by_hub, redact
from telecare.config import Settings


def add_contact_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="contact commands", metavar="ACTION")
    add = sub.add_parser("add", help="add a contact to a household's care circle")
    add.add_argument("--hub", required=True, help="the household's hub id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=["responder", "carer", "family", "maintenance"])
    add.add_argument("--channel", action="append", required=True, metavar="APPRISE_URL",
                     help="repeatable; the first is primary, the next ones are fallbacks")
    add.add_argument("--min-severity", default="info",
                     choices=["info", "warning", "urgent", "critical"])
    add.add_argument("--quiet-hours", metavar="HH:MM-HH:MM",
                     help="local time; non-urgent alerts wait until it ends")
    add.add_argument("--daily-summary", action="store_true", help="send a daily summary (family)")
    add.set_defaults(func=run_contact_add)
    lst = sub.add_parser("list", help="list a household's contacts")
    lst.add_argument("--hub", required=True)
    lst.set_defaults(func=run_contact_list)
    rm = sub.add_parser("remove", help="remove a contact")
    rm.add_argument("contact_id", type=int)
    rm.set_defaults(func=run_contact_remove)


def add_channel_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="channel commands", metavar="ACTION")
    test = sub.add_parser("test", help="send a test message to an Apprise URL or a contact's channels")
    target = test.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", metavar="APPRISE_URL")
    target.add_argument("--contact", type=int, metavar="ID")
    test.set_defaults(func=run_channel_test)


def _with_session(settings: Settings, work: Callable) -> int:
    from telecare.db import command_database, session_scope

    with command_database(settings.sqlalchemy_url) as factory:
        try:
            with session_scope(factory) as session:
                return work(session)
        except (CareCircleError, LookupError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1


def run_contact_add(args: argparse.Namespace, settings: Settings) -> int:
    def work(session) -> int:
        household = household_by_hub(session, args.hub)
        c = add_contact(session, household, args.name, args.role, args.channel, args.min_severity,
                        args.quiet_hours, args.daily_summary)
        print(f"added contact {c.id}: {c.name} ({c.role}) to {household.hub}, "
              f"{len(c.channels)} channel(s)")
        return 0

    return _with_session(settings, work)


def run_contact_list(args: argparse.Namespace, settings: Settings) -> int:
    def work(session) -> int:
        for c in contacts_of(session, household_by_hub(session, args.hub).id):
            quiet = f" quiet {c.quiet_start}-{c.quiet_end}" if c.quiet_start else ""
            chans = ", ".join(redact(u) for u in c.channels)
            print(f"{c.id:<5} {c.name:<24} {c.role:<10} min={c.min_severity:<8}{quiet}  {chans}")
        return 0

    return _with_session(settings, work)


def run_contact_remove(args: argparse.Namespace, settings: Settings) -> int:
    from telecare.models import Contact

    def work(session) -> int:
        contact = session.get(Contact, args.contact_id)
        if contact is None:
            raise LookupError(f"no contact {args.contact_id}")
        session.delete(contact)
        print(f"removed contact {args.contact_id}")
        return 0

    return _with_session(settings, work)


def run_channel_test(args: argparse.Namespace, settings: Settings) -> int:
    """Send directly (not through the outbox): the point is to see the result now."""
    from telecare.models import Contact

    urls: list[str] = []
    if args.url:
        urls = [args.url]
    else:
        def work(session) -> int:
            contact = session.get(Contact, args.contact)
            if contact is None:
                raise LookupError(f"no contact {args.contact}")
            urls.extend(contact.channels)
            return 0

        if _with_session(settings, work):
            return 1
    failed = 0
    for url in urls:
        r = channels.send(url, "Telecare test message", "This is a test: alerts will reach you here.")
        print(f"{redact(url)}: {r.result} in {r.duration_ms} ms{'' if r.ok else ' - ' + r.error}")
        failed += not r.ok
    return 1 if failed else 0
