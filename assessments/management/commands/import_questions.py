"""Import a question file (GIFT, Aiken, Moodle XML or Excel) into a bank from the command line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import importing
from assessments.formats import FormatError
from assessments.models import QuestionBank


class Command(BaseCommand):
    help = "Import questions into a bank (created if missing, then --owner is required)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--bank", required=True, help="Name of the bank.")
        parser.add_argument("--format", choices=importing.FORMATS, default="")
        parser.add_argument("--owner", default="", help="Username of a new bank's owner.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count only.")

    def handle(self, *args, file, bank, format, owner, dry_run, **options):
        """Parse the file, report its problems or counts, and import unless --dry-run."""
        try:
            fmt = importing.format_for(file, format)
            records = importing.parse(importing.path_read(file), fmt)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        except FormatError as error:
            raise CommandError(self._problems(file, error)) from error

        summary = importing.records_summary(records)
        target = QuestionBank.objects.filter(name=bank).first()
        owner_user = self._owner(owner) if target is None else None
        if not dry_run:
            with transaction.atomic():
                if target is None:
                    target = QuestionBank.objects.create(name=bank, owner=owner_user)
                try:
                    importing.questions_import(bank=target, records=records, by=target.owner)
                except FormatError as error:
                    raise CommandError(self._problems(file, error)) from error
        self._report(bank, summary, dry_run)

    def _owner(self, username: str):
        if not username:
            raise CommandError("The bank does not exist; give its owner with --owner USERNAME.")
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user named {username!r}.") from error

    def _problems(self, file: str, error: FormatError) -> str:
        lines = [f"{file}: nothing imported; {len(error.problems)} problem(s):"]
        lines += [
            f"  line {problem.line}: {problem.message}" if problem.line else f"  {problem.message}"
            for problem in error.problems
        ]
        return "\n".join(lines)

    def _report(self, bank: str, summary: dict, dry_run: bool) -> None:
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            f"{bank}: {verb} {summary['total']} questions "
            f"({summary['parts']} case sub-questions besides)."
        )
        for label, count in summary["by_type"]:
            self.stdout.write(f"  {label}: {count}")
        for label, count in summary["by_category"]:
            self.stdout.write(f"  {label or '-'}: {count}")
