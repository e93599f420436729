"""The search engine's index over `Document.search_tokens` (DESIGN §6), per database:

- SQLite: the FTS5 table `documents_fts` (external content: the column itself) and the triggers that keep it in
  step with every INSERT, UPDATE and DELETE of the column, filled from the existing rows.
- PostgreSQL: the expression GIN index `to_tsvector('simple', search_tokens)`.

Other databases get nothing (search is not available there). The SQL lives in `documents.search` so the
post-migrate check that repairs dropped triggers uses the same statements."""

from django.db import migrations


def forwards(apps, schema_editor):
    from steerdesk.documents.search import install_engine_index

    install_engine_index(schema_editor.connection)


def backwards(apps, schema_editor):
    from steerdesk.documents.search import uninstall_engine_index

    uninstall_engine_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
