"""`steerdesk restore FILE [--yes] [--check]`: put back the database and the media files of a backup archive.

The whole archive is read and verified first (member names, gzip checksum, truncation, every file's size and
SHA-256 against the manifest, database vendor); a damaged or foreign archive is refused with exit code 1 and
the live data is not touched. Stop the app servers and workers before restoring.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from steerdesk.core.backup import BackupError, apply_restore, live_table_counts, staged_restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive made by `steerdesk backup`: verify it completely, then replace the database "
        "and the media folder with its contents. Stop the app servers and workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup archive (.tar.gz).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--check", action="store_true", help="Only verify the archive; change nothing.")

    def handle(self, *args, file, yes=False, check=False, **options):
        path = Path(file)
        try:
            with staged_restore(path) as staged:
                manifest = staged.manifest
                rows = sum(manifest["tables"].values())
                self.stdout.write(
                    f"Archive verified: {path}\n"
                    f"  made {manifest['created_at']} by SteerDesk {manifest['app_version']}\n"
                    f"  database: {manifest['database_vendor']}, {len(manifest['tables'])} tables, {rows} rows\n"
                    f"  media: {staged.media_count} files\n"
                    f"  archive SHA-256: {staged.archive_sha256}"
                )
                if check:
                    return
                if not yes and not self._confirmed():
                    raise CommandError("Restore cancelled; nothing was changed.")
                apply_restore(staged)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = live_table_counts()
        differing = sorted(t for t, n in manifest["tables"].items() if counts.get(t) != n)
        if differing:
            raise CommandError(
                "Restored, but these tables' row counts differ from the manifest: " + ", ".join(differing)
            )
        self.stdout.write(self.style.SUCCESS("Restored; every table's row count matches the manifest."))

    def _confirmed(self) -> bool:
        if not sys.stdin.isatty():
            raise CommandError("Restoring replaces all current data: pass --yes to confirm.")
        name = connection.settings_dict["NAME"]
        answer = input(f"This replaces the database {name} and the media folder. Type 'yes' to continue: ")
        return answer.strip().lower() == "yes"
