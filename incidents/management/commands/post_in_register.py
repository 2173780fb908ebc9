"""Register a staff account to post approved-template updates by SMS and email.

    manage.py post_in_register alice --phone +14155550100 --email alice@example.com
    manage.py post_in_register alice --remove

Prints the new PIN and secret once (only their hashes are stored); run it again to issue
new ones. The account must be able to post updates (Responder, Communicator or Admin).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.audit import Actor
from incidents.post_in import credentials


class Command(BaseCommand):
    help = "Register a staff account to post updates by SMS (with a PIN) and email."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--phone", default="", help="the number texts come from (E.164)")
        parser.add_argument("--email", default="", help="the address mail comes from")
        parser.add_argument("--remove", action="store_true", help="unregister instead")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No staff account {options['username']!r}.")
        actor = Actor(label="cli:post_in_register", channel="cli")
        if options["remove"]:
            removed = credentials.unregister(actor=actor, user=user)
            self.stdout.write("Unregistered." if removed else "Was not registered.")
            return
        try:
            issued = credentials.register(
                actor=actor, user=user, phone=options["phone"], email=options["email"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        poster = issued.poster
        self.stdout.write(f"{user.username} may now post updates out of band.")
        if poster.phone:
            self.stdout.write(
                f"  SMS from {poster.phone}: UPDATE <incident id> <status> {issued.pin}"
            )
        if poster.email:
            self.stdout.write(
                f"  Email from {poster.email}: subject UPDATE <incident id> <status>, "
                f"and a line in the text: Secret: {issued.secret}"
            )
        self.stdout.write("  Shown once: keep them in your password manager.")
