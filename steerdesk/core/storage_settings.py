"""The settings logic of scaling out (README, "Scaling"), kept apart from settings.py so tests can call it with
any environment: a read replica (`STEERDESK_REPLICA_DATABASE_URL`) and attachments on S3-compatible object
storage (`STEERDESK_S3_*`, django-storages).

Nothing here imports django-storages or boto3: the settings only name the backend, which Django imports on the
first use of `default_storage`, and only when `STEERDESK_S3_BUCKET` is set.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"
S3_STORAGE = "storages.backends.s3.S3Storage"
REPLICA_ROUTER = "steerdesk.core.db_router.ReplicaRouter"
ADDRESSING_STYLES = ("auto", "path", "virtual")


def _env(environ: Mapping[str, str], name: str) -> str:
    return (environ.get(name) or "").strip()


def replica_database(environ: Mapping[str, str], primary: dict, parse) -> tuple[dict, list[str]]:
    """({"replica": settings} or {}, DATABASE_ROUTERS) from `STEERDESK_REPLICA_DATABASE_URL`.

    `parse` is `dj_database_url.parse`. The replica must run the primary's engine (a streaming replica of it);
    in tests it mirrors `default` (Django's test mirrors: no second test database is created)."""
    url = _env(environ, "STEERDESK_REPLICA_DATABASE_URL")
    if not url:
        return {}, []
    replica = parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 0))
    if replica["ENGINE"] != primary["ENGINE"]:
        raise ImproperlyConfigured(
            "STEERDESK_REPLICA_DATABASE_URL must point at a replica of DATABASE_URL's database "
            f"(same engine), not {replica['ENGINE']!r}"
        )
    replica.setdefault("CONN_HEALTH_CHECKS", True)
    replica["TEST"] = {"MIRROR": "default"}
    return {"replica": replica}, [REPLICA_ROUTER]


def storages_installed() -> bool:
    """Whether django-storages is importable (found without importing it, nor boto3)."""
    return importlib.util.find_spec("storages") is not None


def default_storage(environ: Mapping[str, str], *, installed=storages_installed) -> dict:
    """`STORAGES["default"]`: the file system under MEDIA_ROOT, or an S3 bucket when `STEERDESK_S3_BUCKET` is set.

    Files are never served from the bucket directly (they keep private, random names and go out through the
    scope-checked download views), so the bucket stays private and no public URLs are made."""
    bucket = _env(environ, "STEERDESK_S3_BUCKET")
    if not bucket:
        return {"BACKEND": FILESYSTEM_STORAGE}
    options: dict = {
        "bucket_name": bucket,
        "file_overwrite": False,  # as on the file system: a name never replaces another file
        "default_acl": None,  # the bucket's own policy (keep it private)
        "querystring_auth": True,
    }
    for name, option in (
        ("STEERDESK_S3_ENDPOINT_URL", "endpoint_url"),  # MinIO, Ceph, a cloud's S3-compatible service
        ("STEERDESK_S3_REGION", "region_name"),
        ("STEERDESK_S3_ACCESS_KEY_ID", "access_key"),  # unset: boto3's own chain (AWS_* variables, roles)
        ("STEERDESK_S3_SECRET_ACCESS_KEY", "secret_key"),
        ("STEERDESK_S3_PREFIX", "location"),  # a folder inside the bucket, e.g. "steerdesk/media"
    ):
        value = _env(environ, name)
        if value:
            options[option] = value
    style = _env(environ, "STEERDESK_S3_ADDRESSING_STYLE").lower()
    if style:
        if style not in ADDRESSING_STYLES:
            raise ImproperlyConfigured(
                f"STEERDESK_S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}, not {style!r}"
            )
        options["addressing_style"] = style
    if not installed():
        raise ImproperlyConfigured(
            "STEERDESK_S3_BUCKET is set but django-storages is not installed: pip install 'steerdesk[s3]'"
        )
    return {"BACKEND": S3_STORAGE, "OPTIONS": options}
