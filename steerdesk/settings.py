"""SteerDesk settings: one file, configured only by environment variables (DESIGN §5).

Every variable read here is documented in README.md, section "Configuration".
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the repository root, from the code's location


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


DATA_DIR = Path(os.environ.get("STEERDESK_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG=0 (all app servers must share it).")
    # Development: generated once into the data dir so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "steerdesk.core",
    "steerdesk.accounts",
    "steerdesk.orgs",
    "steerdesk.documents",
    "steerdesk.work",
    "steerdesk.api",
]

MIDDLEWARE = [
    "steerdesk.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "steerdesk.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "steerdesk.accounts.middleware.SessionTimeoutMiddleware",
    "steerdesk.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "steerdesk.urls"
WSGI_APPLICATION = "steerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "steerdesk.core.context_processors.steerdesk",
                "steerdesk.work.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite (embedded default) runs in WAL mode with IMMEDIATE transactions so every atomic() takes the write
# lock up front instead of failing on upgrade (DESIGN §6). PostgreSQL comes through DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{DATA_DIR / 'steerdesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# Read replica (README, "Scaling"): STEERDESK_REPLICA_DATABASE_URL adds the `replica` alias and a router that
# sends the reads of opted-in read-heavy pages there (steerdesk.core.db_router); unset, nothing changes.
from steerdesk.core import storage_settings  # noqa: E402  (no Django imports beyond ImproperlyConfigured)

_replica, DATABASE_ROUTERS = storage_settings.replica_database(
    os.environ, DATABASES["default"], dj_database_url.parse
)
DATABASES.update(_replica)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

STEERDESK_REQUIRE_2FA_FOR_ADMINS = env_bool("STEERDESK_REQUIRE_2FA_FOR_ADMINS", not DEBUG)
STEERDESK_SESSION_IDLE_MINUTES = env_int("STEERDESK_SESSION_IDLE_MINUTES", 30)
STEERDESK_SESSION_ABSOLUTE_HOURS = 12
SESSION_COOKIE_AGE = STEERDESK_SESSION_ABSOLUTE_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "steerdesk.core.views.csrf_failure"

# django-axes: lock out after 5 failures for 15 minutes, answering 429 with a message.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "SteerDesk"

# --- Production security (DEBUG=0) ---------------------------------------------------------------------
STEERDESK_BEHIND_PROXY_TLS = env_bool("STEERDESK_BEHIND_PROXY_TLS", True)
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    if STEERDESK_BEHIND_PROXY_TLS:
        SECURE_SSL_REDIRECT = True
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"

# Strict CSP: no inline scripts or styles anywhere (django-csp 4).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- I18n -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "steerdesk" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("STEERDESK_TIME_ZONE", "").strip() or "Asia/Ho_Chi_Minh"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "steerdesk_language"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Files ----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"  # attachments are served only through scope-checked views
STEERDESK_UPLOAD_MAX_MB = env_int("STEERDESK_UPLOAD_MAX_MB", 50)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every upload is cut off once it passes STEERDESK_UPLOAD_MAX_MB, before it fills the disk (views that take
# attachments add their own handler to answer 413).
FILE_UPLOAD_HANDLERS = [
    "steerdesk.documents.uploads.ProjectSizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    # STEERDESK_S3_BUCKET (+ _ENDPOINT_URL, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _PREFIX,
    # _ADDRESSING_STYLE): attachments in an S3-compatible bucket (README, "Scaling"); else under MEDIA_ROOT.
    "default": storage_settings.default_storage(os.environ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "").strip() or "console://"


def _email_settings(url: str) -> dict:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in {"smtp", "smtps", "submission"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "submission",
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme must be console, locmem, smtp, smtps or submission: {url!r}"
    )


globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = "steerdesk@localhost"
# The site's public address: links in e-mails and calendar feeds, which are read outside any request.
STEERDESK_BASE_URL = os.environ.get("STEERDESK_BASE_URL", "").strip() or "http://127.0.0.1:8000"

# --- Background jobs ------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Local hour (0–23) at which `steerdesk worker` queues the daily reminder digest.
STEERDESK_DIGEST_HOUR = env_int("STEERDESK_DIGEST_HOUR", 7)
if not 0 <= STEERDESK_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(
        f"STEERDESK_DIGEST_HOUR must be an hour from 0 to 23, not {STEERDESK_DIGEST_HOUR}"
    )
# Roll-ups of subtrees with at least this many assignments read the summary table kept by the minute job of
# `steerdesk worker` (steerdesk.work.summary) when it is fresh; smaller ones are counted live.
STEERDESK_ROLLUP_SUMMARY_MIN = env_int("STEERDESK_ROLLUP_SUMMARY_MIN", 20000)

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "steerdesk.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "steerdesk.api.pagination.LimitOffsetPagination",  # limit ≤ 500
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "steerdesk.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SteerDesk API",
    "DESCRIPTION": "Units, committees, people and memberships of a steering-committee network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a field called "kind": give each choice set its own readable name.
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "steerdesk.orgs.models.OrgUnit.Kind",
        "ReferenceKindEnum": "steerdesk.documents.models.Reference.Kind",
        # "status" and "role" have several choice sets: each needs its own name once one more appears
        "MembershipRoleEnum": "steerdesk.orgs.models.Membership.Role",
        "DocumentStatusEnum": "steerdesk.documents.models.Document.Status",
        "WorkStatusEnum": "steerdesk.work.models.Status",
        "PlanStatusEnum": "steerdesk.work.models.Plan.PlanStatus",
        "AssignmentRoleEnum": "steerdesk.work.models.Assignment.Role",
        "NotificationKindEnum": "steerdesk.work.models.Notification.Kind",
    },
}

# --- Logging --------------------------------------------------------------------------------------------
# One line per record on stderr, carrying the request id (X-Request-ID) of the request being served.
# STEERDESK_LOG_FORMAT: `json` (one JSON object per line: time, level, logger, message, request_id, plus any
# extra fields and the traceback) or `text` (a readable line). Default: text when DEBUG=1, json otherwise.
STEERDESK_LOG_FORMAT = os.environ.get("STEERDESK_LOG_FORMAT", "").strip().lower() or (
    "text" if DEBUG else "json"
)
if STEERDESK_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"STEERDESK_LOG_FORMAT must be json or text, not {STEERDESK_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "steerdesk.core.middleware.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",  # stderr
            "formatter": STEERDESK_LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"axes": {"level": "WARNING"}},
}
