"""QR codes of verification URLs, drawn by segno as SVG so they stay sharp and tiny in a PDF."""

import segno


def svg_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#1a1a1a")
