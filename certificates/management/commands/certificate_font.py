"""Makes the cut-down certificate typeface now rather than at the first certificate."""

import time

from django.core.management.base import BaseCommand

from certificates import fonts


class Command(BaseCommand):
    help = "Build the certificate font (Noto Serif CJK SC cut to GB 2312) if it is missing."

    def handle(self, *args, **options):
        start = time.perf_counter()
        path = fonts.certificate_font()
        took = time.perf_counter() - start
        self.stdout.write(
            f"Certificate font: {path} ({path.stat().st_size // 1024} KB, {took:.1f} s)"
        )
