"""`steerdesk backup [--output FILE]`: the database and the media files in one archive with a manifest.

Safe while the app runs: SQLite is copied with its online backup API, PostgreSQL with `pg_dump` in one
snapshot. See `steerdesk.core.backup` for the archive's layout.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from steerdesk.core.backup import BackupError, create_backup, default_output_path


class Command(BaseCommand):
    help = (
        "Write a backup archive (tar.gz): a consistent copy of the database and every media file, with a "
        "manifest of row counts and SHA-256 checksums. Default: backups/steerdesk-YYYYMMDD-HHMMSS.tar.gz in "
        "the data dir."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Where to write the archive (a .tar.gz file).")

    def handle(self, *args, output=None, **options):
        path = Path(output) if output else default_output_path()
        try:
            manifest = create_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        media = sum(1 for f in manifest["files"] if f["path"].startswith("media/"))
        size = path.stat().st_size
        self.stdout.write(
            f"Backup written to {path.resolve()}\n"
            f"  database: {manifest['database_vendor']}, {len(manifest['tables'])} tables, {rows} rows\n"
            f"  media: {media} files\n"
            f"  archive: {size} bytes"
        )
