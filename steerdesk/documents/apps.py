from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "steerdesk.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from . import search

        # A SQLite table rebuild (some ALTERs in later migrations) drops the search triggers: put them back.
        post_migrate.connect(search.ensure_engine_index, sender=self, dispatch_uid="documents_search_index")
