from __future__ import annotations

from pathlib import Path

import pytest

from statuspage.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_prefixed,
    env_secret,
)


def test_booleans_accept_the_usual_spellings_and_refuse_typos(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for raw, expected in [("true", True), ("ON", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env_bool("X_FLAG") is expected
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG")
    monkeypatch.delenv("X_FLAG")
    assert env_bool("X_FLAG", True) is True


def test_integers_are_checked_against_their_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_SECONDS", "-1")
    with pytest.raises(ConfigError, match="minimum"):
        env_int("X_SECONDS", 10, minimum=0)
    monkeypatch.setenv("X_SECONDS", "ten")
    with pytest.raises(ConfigError, match="not an integer"):
        env_int("X_SECONDS", 10)


def test_lists_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,, ")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]


def test_secrets_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_KEY_FILE", str(secret))
    assert env_secret("X_KEY") == "s3cret"
    monkeypatch.setenv("X_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot be read"):
        env_secret("X_KEY")


def test_choices_refuse_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_choice("X_STYLE", ("path", "virtual"), "path") == "path"
    monkeypatch.setenv("X_STYLE", "virtual")
    assert env_choice("X_STYLE", ("path", "virtual"), "path") == "virtual"
    monkeypatch.setenv("X_STYLE", "Path")
    with pytest.raises(ConfigError, match="X_STYLE='Path' is not one of path, virtual"):
        env_choice("X_STYLE", ("path", "virtual"), "path")


def test_prefixed_variables_pass_through_with_secrets_from_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "token"
    secret.write_text("pm-secret\n")
    monkeypatch.setenv("ANYMAIL_POSTMARK_SERVER_TOKEN_FILE", str(secret))
    monkeypatch.setenv("ANYMAIL_POSTMARK_API_URL", "https://api.postmarkapp.com/")
    monkeypatch.setenv("ANYMAIL_", "ignored: no name")
    assert env_prefixed("ANYMAIL_") == {
        "POSTMARK_SERVER_TOKEN": "pm-secret",
        "POSTMARK_API_URL": "https://api.postmarkapp.com/",
    }
