"""Signed notices (incidents/signing.py): genuine notices verify; a tampered body, a wrong
key and a replay of an old notice as new are refused; the documented openssl recipe works."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from incidents import lifecycle, signing
from incidents.models import Incident, SignedNotice, SigningKey
from incidents.publish import service
from tests.factories import promised

pytestmark = pytest.mark.embedded
OPENSSL_VERIFY = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin"]


def _notice(incident: Incident) -> SignedNotice:
    notice = signing.update_signed(incident.updates.get())
    assert notice is not None
    return notice


def _parts(notice: SignedNotice) -> tuple[bytes, bytes]:
    return notice.payload.encode(), base64.b64decode(notice.signature)


def test_a_published_update_is_signed_once_in_canonical_bytes(payments: Incident) -> None:
    update = payments.updates.get()
    notice = _notice(payments)
    assert signing.update_signed(update) == notice  # the same words: not signed again
    data = json.loads(notice.payload)
    assert notice.payload.encode() == signing.canonical(data)
    assert notice.payload.isascii()
    assert data == {
        "v": 1,
        "kind": "incident_update",
        "site": "http://localhost:8000",
        "url": f"http://localhost:8000/incidents/{payments.public_id}",
        "subject": payments.public_id,
        "id": update.public_id,
        "title": "Payments",
        "status": "investigating",
        "body": update.body,
        "published_at": signing.utc_text(update.created_at),
        "key": notice.key_id,
        "signed_at": signing.utc_text(notice.signed_at),
    }
    assert signing.CODE.fullmatch(notice.code)


def test_a_genuine_notice_verifies(payments: Incident) -> None:
    notice = _notice(payments)
    verdict = signing.verify(*_parts(notice), received_at=timezone.now())
    assert verdict.genuine, verdict.reason
    assert verdict.notice is not None and verdict.notice["subject"] == payments.public_id


def test_a_pasted_email_verifies_by_its_code_and_words(payments: Incident) -> None:
    notice = _notice(payments)
    body = payments.updates.get().body
    email = f"Payments\nInvestigating\n\n{body}\n\nVerify this notice: x/verify?code={notice.code}"
    assert signing.verify_message(email, received_at=timezone.now()).genuine
    # A code or link alone is checked as a code.
    assert signing.verify_message(notice.code.lower()).genuine
    assert signing.verify_message(f"Verify this notice: https://e.test/verify?code={notice.code}")


def test_a_tampered_body_is_refused(payments: Incident) -> None:
    notice = _notice(payments)
    payload, signature = _parts(notice)
    tampered = payload.replace(b"investigating", b"resolved  ")
    assert tampered != payload
    verdict = signing.verify(tampered, signature)
    assert not verdict.genuine and "signature does not match" in verdict.reason
    # A real code beside words we never published: refused, with what we did publish.
    email = "Payments\nResolved\n\nAll fixed. Please confirm your card at pay.example.test now."
    verdict = signing.verify_message(f"{email}\nVerify code {notice.code}")
    assert not verdict.genuine and "words differ" in verdict.reason


def test_a_wrong_key_is_refused(payments: Incident) -> None:
    notice = _notice(payments)
    payload, _ = _parts(notice)
    forger = Ed25519PrivateKey.generate()
    # Signed by a key not ours, naming our key id: the signature does not match.
    verdict = signing.verify(payload, forger.sign(payload))
    assert not verdict.genuine and "signature does not match" in verdict.reason
    # Naming the forger's own key: not a listed key.
    data = json.loads(payload)
    data["key"] = "0123456789abcdef"
    forged = signing.canonical(data)
    verdict = signing.verify(forged, forger.sign(forged))
    assert not verdict.genuine and "not ours" in verdict.reason


def test_a_replay_of_an_old_notice_as_new_is_refused(payments: Incident) -> None:
    notice = _notice(payments)
    payload, signature = _parts(notice)
    later = notice.published_at + signing.REPLAY_WINDOW + timedelta(minutes=1)
    verdict = signing.verify(payload, signature, received_at=later)
    assert not verdict.genuine and "old notice presented as new" in verdict.reason
    # Made to look new (its time rewritten): the signature no longer matches.
    data = json.loads(payload)
    data["published_at"] = signing.utc_text(later)
    verdict = signing.verify(signing.canonical(data), signature, received_at=later)
    assert not verdict.genuine and "signature does not match" in verdict.reason


def test_not_canonical_bytes_are_refused(payments: Incident) -> None:
    payload, signature = _parts(_notice(payments))
    spaced = json.dumps(json.loads(payload), sort_keys=True).encode()
    assert not signing.verify(spaced, signature).genuine
    assert not signing.verify(b"\xff not json", signature).genuine
    assert not signing.verify_message("no code in here").genuine
    assert not signing.verify_message("ZZZZ-ZZZZ").genuine  # no such notice


def test_rotation_keeps_old_notices_verifiable_within_their_key_validity(
    payments: Incident,
) -> None:
    old = _notice(payments)
    first = SigningKey.objects.get(key_id=old.key_id)
    newer = Ed25519PrivateKey.generate()
    rotated = signing.key_register(newer)
    first.refresh_from_db()
    assert first.valid_until is not None and rotated.valid_until is None
    assert signing.verify(*_parts(old)).genuine  # signed while the old key was valid
    document = signing.keys_document()
    assert [k["id"] for k in document["keys"]] == [first.key_id, rotated.key_id]
    assert document["keys"][0]["valid_until"] is not None
    # The retired key's private half, leaked, cannot sign a notice after its end.
    data = json.loads(old.payload)
    data["signed_at"] = signing.utc_text(first.valid_until + timedelta(hours=1))
    payload = signing.canonical(data)
    # The test key (settings) is the retired one: it no longer signs here...
    with pytest.raises(signing.SigningUnavailable, match="retired"):
        signing.current_signer()
    private = load_pem_private_key(django_settings.CANDOR_SIGNING_KEY.encode(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    verdict = signing.verify(payload, private.sign(payload))  # ...nor verifies elsewhere
    assert not verdict.genuine and "outside its key's validity" in verdict.reason


def test_an_edited_update_is_signed_again_and_the_first_signature_stays(
    payments: Incident,
) -> None:
    first = _notice(payments)
    update = payments.updates.get()
    update.body += " We found the cause."
    update.save()
    assert signing.notices_sign_pending() == 1
    second = signing.update_signed(update)
    assert second is not None and second.pk != first.pk
    assert signing.verify(*_parts(first)).genuine
    assert signing.notices_sign_pending() == 0


@pytest.mark.parametrize("view", ["public:incident", "public:maintenance"])
@pytest.mark.parametrize("subject", ["abc123xyz", "ABCdef", "0", "a-b_c", "x_"])
def test_notice_urls_made_from_one_reverse_are_the_urls_reverse_makes(
    view: str, subject: str
) -> None:
    from django.urls import reverse

    assert signing._PageUrls(view)(subject) == reverse(view, args=[subject])


def test_the_pending_scan_signs_the_same_notice_update_signed_names(payments: Incident) -> None:
    """The scan's URL (made without reverse) is the one a notice signed alone carries:
    nothing is signed twice."""
    SignedNotice.objects.all().delete()
    assert signing.notices_sign_pending() == 1
    notice = _notice(payments)
    assert json.loads(notice.payload)["url"].endswith(f"/incidents/{payments.public_id}")
    assert SignedNotice.objects.count() == 1


def test_a_dev_key_is_made_on_first_use_and_said_loudly(
    payments: Incident, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with override_settings(
        CANDOR_SIGNING_KEY="", CANDOR_SIGNING_KEYS_DIR=tmp_path, CANDOR_SIGNING_DEV_KEY=True
    ):
        notice = _notice(payments)
    assert "DEVELOPMENT signing key" in capsys.readouterr().err
    key_file = tmp_path / f"{notice.key_id}.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()
    assert signing.verify(*_parts(notice)).genuine


def test_without_a_key_in_production_nothing_is_signed(payments: Incident, tmp_path: Path) -> None:
    with override_settings(
        CANDOR_SIGNING_KEY="", CANDOR_SIGNING_KEYS_DIR=tmp_path, CANDOR_SIGNING_DEV_KEY=False
    ):
        with pytest.raises(signing.SigningUnavailable):
            signing.current_signer()
        assert signing.update_signed(payments.updates.get()) is None  # sent unsigned
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")
def test_the_documented_openssl_recipe_verifies(payments: Incident, tmp_path: Path) -> None:
    """docs/security.md, "Verifying with standard tools", step by step."""
    notice = _notice(payments)
    key = next(k for k in signing.keys_document()["keys"] if k["id"] == notice.key_id)
    (tmp_path / "key.pem").write_text(key["public_key_pem"])
    (tmp_path / "notice.json").write_bytes(notice.payload.encode())
    (tmp_path / "notice.sig").write_bytes(base64.b64decode(notice.signature))

    def openssl_verify(payload: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OPENSSL_VERIFY, "-in", payload, "-sigfile", "notice.sig"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    good = openssl_verify("notice.json")
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout
    (tmp_path / "tampered.json").write_bytes(
        notice.payload.replace("Payments", "Paymemts").encode()
    )
    bad = openssl_verify("tampered.json")
    assert bad.returncode != 0 and "Signature Verification Failure" in bad.stdout


def test_the_mirror_carries_the_signed_manifest_keys_and_index(
    payments: Incident, settings: Any, tmp_path: Path
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.VAR_DIR = tmp_path / "var"
    assert not service.publish().failed
    served = tmp_path / "mirror" / "current"
    manifest = (served / "manifest.json").read_bytes()
    sig = json.loads((served / "manifest.json.sig").read_bytes())
    keys = json.loads((served / ".well-known" / "candor-keys.json").read_bytes())["keys"]
    key = next(k for k in keys if k["id"] == sig["key"])
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(base64.b64decode(sig["signature"]), manifest)  # raises if not
    with pytest.raises(InvalidSignature):
        public.verify(base64.b64decode(sig["signature"]), manifest + b" ")
    code = _notice(payments).code
    index = json.loads((served / "verify" / "notices.json").read_bytes())
    assert index["shards"] == {code[:2]: 1} and index["prefix_length"] == 2
    shard = json.loads((served / "verify" / "notices" / f"{code[:2]}.json").read_bytes())
    assert [n["code"] for n in shard["notices"]] == [code]


def test_the_command_generates_rotates_and_lists_keys(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.CANDOR_SIGNING_KEY = ""
    settings.CANDOR_SIGNING_KEYS_DIR = tmp_path
    out = io.StringIO()
    call_command("signing_key", "generate", stdout=out)
    call_command("signing_key", "generate", stdout=out)
    first, second = SigningKey.objects.order_by("pk")
    assert first.valid_until is not None and second.valid_until is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{first.key_id}.pem", f"{second.key_id}.pem"]
    )
    assert signing.current_signer()[0] == second
    listed = io.StringIO()
    call_command("signing_key", "list", stdout=listed)
    assert [line.split()[0] for line in listed.getvalue().splitlines()] == [
        first.key_id,
        second.key_id,
    ]
    assert listed.getvalue().splitlines()[1].endswith("current")
    printed = io.StringIO()
    call_command("signing_key", "generate", "--print", stdout=printed)
    assert printed.getvalue().startswith("-----BEGIN PRIVATE KEY-----")
    assert SigningKey.objects.count() == 2  # listed only once it is used
    settings.CANDOR_SIGNING_KEY = printed.getvalue()
    with pytest.raises(CommandError):
        call_command("signing_key", "generate", stdout=out)
    assert signing.current_signer()[0].valid_until is None
    assert SigningKey.objects.count() == 3
    # A retired key set again, or a PEM that is not a key, signs nothing.
    settings.CANDOR_SIGNING_KEY = (tmp_path / f"{first.key_id}.pem").read_text()
    with pytest.raises(signing.SigningUnavailable, match="retired"):
        signing.current_signer()
    settings.CANDOR_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"
    with pytest.raises(signing.SigningUnavailable, match="cannot be read"):
        signing.current_signer()


def test_a_publish_after_a_new_notice_renders_its_shard_and_the_index_again(
    payments: Incident, settings: Any, tmp_path: Path, actor: Any
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.VAR_DIR = tmp_path / "var"
    assert not service.publish().failed
    first = _notice(payments)
    before = timezone.now()
    assert signing.shards_signed_since(before) == set()

    lifecycle.update_post(
        actor=actor, incident=payments, status="identified",
        body=promised("We found the cause: a certificate expired."),
    )  # fmt: skip
    assert not service.publish().failed
    second = SignedNotice.objects.exclude(pk=first.pk).get()
    assert signing.shards_signed_since(before) == {second.code[:2]}
    served = tmp_path / "mirror" / "current" / "verify"
    index = json.loads((served / "notices.json").read_bytes())
    assert index["count"] == 2
    for notice in (first, second):
        shard = json.loads((served / "notices" / f"{notice.code[:2]}.json").read_bytes())
        assert notice.code in {n["code"] for n in shard["notices"]}
