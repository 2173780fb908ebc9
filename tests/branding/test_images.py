"""Logo and favicon uploads (incidents/branding/images.py): decoded, PNG only, re-encoded."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from incidents.branding import images
from tests.branding.pngs import SVG, jpeg, png


def test_a_png_is_accepted_with_its_size_and_stored_as_pillow_wrote_it() -> None:
    checked = images.png_checked(png(120, 40, text="<script>alert(1)</script>"), images.LOGO)
    assert (checked.width, checked.height) == (120, 40)
    assert checked.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"script" not in checked.data  # the text chunk did not survive re-encoding
    assert Image.open(io.BytesIO(checked.data)).size == (120, 40)


def test_bytes_after_the_end_of_a_png_are_dropped() -> None:
    checked = images.png_checked(png() + b"<html><script>x</script>", images.LOGO)
    assert b"script" not in checked.data


def test_svg_is_refused_for_the_scripts_it_can_carry() -> None:
    with pytest.raises(images.ImageRefused, match="SVG is not accepted: it can carry scripts"):
        images.png_checked(SVG, images.LOGO)


def test_svg_is_refused_even_without_an_xml_declaration() -> None:
    with pytest.raises(images.ImageRefused, match="SVG"):
        images.png_checked(b"  <svg onload='alert(1)'></svg>", images.FAVICON)


def test_a_jpeg_is_refused_and_named() -> None:
    with pytest.raises(images.ImageRefused, match="Upload a PNG image; this file is a JPEG"):
        images.png_checked(jpeg(), images.LOGO)


def test_a_file_that_only_starts_like_a_png_is_refused() -> None:
    with pytest.raises(images.ImageRefused, match="could not be decoded"):
        images.png_checked(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, images.LOGO)


def test_a_truncated_png_is_refused() -> None:
    whole = png(200, 200, "#123456")
    with pytest.raises(images.ImageRefused, match="could not be decoded"):
        images.png_checked(whole[: len(whole) // 2], images.LOGO)


def test_a_png_with_a_corrupt_chunk_is_refused() -> None:
    data = bytearray(png())
    data[-20] ^= 0xFF  # inside IDAT or its CRC
    with pytest.raises(images.ImageRefused, match="could not be decoded"):
        images.png_checked(bytes(data), images.LOGO)


def test_a_file_over_the_size_limit_is_refused_with_its_size() -> None:
    big = png() + b"\0" * images.MAX_BYTES
    with pytest.raises(images.ImageRefused, match=r"The file is \d+ KB; at most 256 KB"):
        images.png_checked(big, images.LOGO)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(images.ImageRefused, match="empty"):
        images.png_checked(b"", images.LOGO)


@pytest.mark.parametrize(("width", "height"), [(2000, 40), (8, 8), (40, 1025)])
def test_a_logo_of_the_wrong_dimensions_is_refused(width: int, height: int) -> None:
    with pytest.raises(images.ImageRefused, match=f"{width} x {height} pixels; each side"):
        images.png_checked(png(width, height), images.LOGO)


def test_a_favicon_must_be_square() -> None:
    with pytest.raises(images.ImageRefused, match="must be square; this one is 64 x 32"):
        images.png_checked(png(64, 32), images.FAVICON)


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded() -> None:
    # 5000 x 5000 grey pixels (25 MB decoded) compress to 25 KB; the header's size
    # refuses them before anything is decoded.
    raw = zlib.compress(b"".join(b"\0" + b"\0" * 5000 for _ in range(5000)), 9)
    header = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", (5000).to_bytes(4, "big") * 2 + b"\x08\0\0\0\0")
    bomb = header + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")
    assert len(bomb) < images.MAX_BYTES
    with pytest.raises(images.ImageRefused, match="5000 x 5000 pixels"):
        images.png_checked(bomb, images.LOGO)


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body).to_bytes(4, "big")
    return len(body).to_bytes(4, "big") + kind + body + crc
