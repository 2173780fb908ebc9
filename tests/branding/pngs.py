"""Images for the branding tests, made here with Pillow."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin


def png(width: int = 64, height: int = 32, colour: str = "#0b6e4f", *, text: str = "") -> bytes:
    image = Image.new("RGBA", (width, height), colour)
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "#ff0000").save(out, format="JPEG")
    return out.getvalue()


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32">'
    b'<script>alert(document.cookie)</script><rect width="32" height="32"/></svg>'
)
