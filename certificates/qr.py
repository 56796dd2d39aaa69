"""QR codes of verification URLs, drawn by segno.

A PNG of one pixel per module, scaled up by the PDF (``image-rendering: pixelated`` keeps the
edges sharp), is what WeasyPrint draws fastest; a fixed mask skips segno's search for the
best-looking one (about 9 ms), and every mask scans alike.
"""

import segno


def png_data_uri(url: str) -> str:
    return segno.make(url, error="m", mask=0).png_data_uri(scale=1, border=0, dark="#1a1a1a")
