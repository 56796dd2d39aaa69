"""The certificate typeface: Noto Serif CJK SC cut down once to the characters certificates
use (ASCII, Chinese punctuation and the 7,000-odd characters of GB 2312), without CFF
subroutines.

WeasyPrint subsets every font it embeds. From the full Noto CJK collection (tens of thousands
of glyphs, heavily subroutinized) that costs about 100 ms and 100 KB per page; from this cut
it costs about 20 ms and 40 KB. Characters outside the cut (rare characters in names) fall
back to the full system font through the CSS font stack, so nothing ever prints as tofu.

The cut is made on first use (about 20 s) into ``CERTIFICATE_FONT_DIR`` and reused; writing
through a temporary file and a rename makes concurrent workers safe.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings

FAMILY = "LMS Certificate Serif"
SYSTEM_FAMILY = "Noto Serif CJK SC"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
FILE_NAME = "certificate-serif-sc-v1.otf"


class FontMissing(RuntimeError):
    pass


def characters() -> set[int]:
    """Code points the cut keeps."""
    keep = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    keep |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFF60))  # CJK and full-width marks
    keep |= {0x00B7, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2116, 0x2160, 0x2161}
    for high in range(0xB0, 0xF8):  # GB 2312 hanzi rows
        for low in range(0xA1, 0xFF):
            try:
                keep.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return keep


def certificate_font() -> Path:
    """The cut font file, made first if needed."""
    target = Path(settings.CERTIFICATE_FONT_DIR) / FILE_NAME
    if not target.exists():
        _build(target)
    return target


def _build(target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    if not SOURCE.exists():
        raise FontMissing(
            f"{SOURCE} is missing: install the Debian package fonts-noto-cjk "
            "(`make run` and `make test` do it)."
        )
    collection = TTCollection(str(SOURCE))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == SYSTEM_FAMILY)
    options = subset.Options()
    options.desubroutinize = True  # small output subsets; WeasyPrint's own subsetter keeps subrs
    options.hinting = False
    options.layout_features = ["kern", "palt", "vert"]
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters())
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".otf.part")
    os.close(handle)
    try:
        font.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
