"""Who is acting, and the one function that writes the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incidents.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User


@dataclass(frozen=True)
class Actor:
    label: str
    channel: str  # console, api, system, cli
    user: User | None = None
    ip: str | None = None

    @classmethod
    def staff(
        cls, user: AbstractBaseUser | AnonymousUser, *, channel: str, ip: str | None = None
    ) -> Actor:
        if not user.is_authenticated:
            raise PermissionError("an anonymous user cannot act")
        label = user.get_username()
        return cls(
            label=label if channel == "console" else f"{channel}:{label}",
            channel=channel,
            user=user,  # type: ignore[arg-type]  # the project's user model is auth.User
            ip=ip,
        )

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(label=f"system:{name}", channel="system")


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    target: Any,
    summary: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        actor=actor.user,
        actor_label=actor.label[:150],
        channel=actor.channel,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(getattr(target, "public_id", target.pk)),
        summary=summary[:300],
        data=data or {},
        ip=actor.ip,
    )
