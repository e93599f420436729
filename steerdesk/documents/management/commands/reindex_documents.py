"""`steerdesk reindex_documents [--batch-size N] [--rebuild]`: recompute every document's search tokens.

For rows written before search existed, or after the tokenising rules change. Batched, one short transaction per
batch (SQLite's write lock is held briefly); idempotent. `--rebuild` also rebuilds SQLite's FTS5 table from the
column (never needed in normal operation: triggers keep it in step)."""

from django.core.management.base import BaseCommand, CommandError

from steerdesk.documents import search
from steerdesk.documents.models import Document


class Command(BaseCommand):
    help = "Recompute the search tokens of every document (batched)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Documents per transaction (500).")
        parser.add_argument(
            "--rebuild", action="store_true", help="Also rebuild the SQLite full-text table from the column."
        )

    def handle(self, *args, batch_size, rebuild, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        changed = search.reindex_queryset(Document.objects.all(), batch_size=batch_size)
        if rebuild:
            search.rebuild_engine_index()
        self.stdout.write(f"{changed} document(s) re-indexed.")
