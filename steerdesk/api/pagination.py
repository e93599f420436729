"""Pages of every API list: DRF's limit/offset, with bounds.

Without them `?limit=` could ask for a whole table in one request, and a limit or offset past the 64-bit range
made SQLite refuse the query (500). A larger limit is cut to MAX_LIMIT; an offset past the end stays past the end.
"""

from __future__ import annotations

from rest_framework import pagination

MAX_LIMIT = 500
MAX_OFFSET = 10**12  # far past any table, well inside what the databases accept


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_offset(self, request):
        return min(super().get_offset(request), MAX_OFFSET)
