"""Logo and favicon uploads: PNG only, decoded before they are accepted, stored re-encoded.

SVG is refused rather than sanitised: it is a document that can carry script and external
references, and a favicon or logo loses nothing as a PNG. Decoding the whole image (not
trusting the name, the browser's content type or the first bytes) refuses a file that only
looks like a PNG; re-encoding it drops every ancillary chunk (text, ICC profiles, anything
appended after IEND), so what the page serves is bytes Pillow wrote.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 256 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Limits:
    min_side: int
    max_side: int
    square: bool


LOGO = Limits(min_side=16, max_side=1024, square=False)
FAVICON = Limits(min_side=16, max_side=512, square=True)


class ImageRefused(ValueError):
    """The upload is not a PNG Candor will publish; the message says why, for the form."""


@dataclass(frozen=True)
class CheckedPng:
    data: bytes
    width: int
    height: int


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and (b"<svg" in data[:65536].lower() or head.startswith(b"<?xml"))


def png_checked(data: bytes, limits: Limits) -> CheckedPng:
    """`data` decoded and re-encoded as PNG, or ImageRefused."""
    if len(data) > MAX_BYTES:
        raise ImageRefused(
            f"The file is {len(data) // 1024} KB; at most {MAX_BYTES // 1024} KB is accepted."
        )
    if not data:
        raise ImageRefused("The file is empty.")
    if _looks_like_svg(data):
        raise ImageRefused("SVG is not accepted: it can carry scripts. Export the image as a PNG.")
    if not data.startswith(_PNG_SIGNATURE):
        raise ImageRefused(_not_png(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
                width, height = probe.size
                _check_size(width, height, limits)
                probe.verify()  # chunk CRCs and structure, before decoding pixels
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.load()  # every pixel decodes: a truncated file is refused here
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=True)
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
        raise ImageRefused(f"The PNG could not be decoded ({exc}).") from None
    return CheckedPng(out.getvalue(), width, height)


def _check_size(width: int, height: int, limits: Limits) -> None:
    if min(width, height) < limits.min_side or max(width, height) > limits.max_side:
        raise ImageRefused(
            f"The image is {width} x {height} pixels; each side must be from "
            f"{limits.min_side} to {limits.max_side}."
        )
    if limits.square and width != height:
        raise ImageRefused(f"A favicon must be square; this one is {width} x {height} pixels.")


def _not_png(data: bytes) -> str:
    kinds = {
        b"\xff\xd8\xff": "a JPEG",
        b"GIF8": "a GIF",
        b"RIFF": "a WebP or another RIFF file",
        b"\x00\x00\x01\x00": "an ICO",
        b"BM": "a BMP",
        b"%PDF": "a PDF",
    }
    kind = next((name for magic, name in kinds.items() if data.startswith(magic)), None)
    found = f"this file is {kind}" if kind else "this file is not a PNG"
    return f"Upload a PNG image; {found}."
