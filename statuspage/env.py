"""Tiny typed readers for configuration from the environment.

Each fails loudly on a value it cannot parse: a typo in production configuration must stop
the process at start-up, not surface as odd behaviour during an incident.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_prices(name: str, default: dict[str, str]) -> dict[str, Decimal]:
    """KEY=amount pairs separated by commas ("US=0.0083,GB=0.04,*=0.05"), amounts >= 0."""
    raw = os.environ.get(name)
    pairs = (
        [item.partition("=") for item in raw.split(",") if item.strip()]
        if raw and raw.strip()
        else [(k, "=", v) for k, v in default.items()]
    )
    found: dict[str, Decimal] = {}
    for key, sep, amount in pairs:
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            value = Decimal(-1)
        if not sep or not key.strip() or not value.is_finite() or value < 0:
            raise ConfigError(f"{name}: {key}{sep}{amount!r} is not KEY=amount (amount >= 0)")
        found[key.strip().upper()] = value
    return found


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, default)


def env_prefixed(prefix: str) -> dict[str, str]:
    """Every PREFIX_NAME variable as {NAME: value}; PREFIX_NAME_FILE reads a secret file.

    For settings a library defines by the dozen (anymail's per-provider keys), which
    Candor passes on rather than naming one by one.
    """
    found: dict[str, str] = {}
    for name in sorted(os.environ):
        if name.startswith(prefix) and len(name) > len(prefix):
            key = name.removeprefix(prefix).removesuffix("_FILE")
            found[key] = env_secret(prefix + key)
    return found
