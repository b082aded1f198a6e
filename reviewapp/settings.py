"""Spotcheck settings, read from the environment (one module, as healthchecks does).

With no variables set, Spotcheck runs embedded: SQLite in ./data and background jobs run
in-process. Production sets DATABASE_URL (PostgreSQL), REDIS_URL (django-rq), SECRET_KEY,
DEBUG=False and ALLOWED_HOSTS; see the README's configuration table.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    """Only "True"/"False" (any case) are accepted: a typo must not silently flip a switch."""
    value = os.environ.get(name, default).strip().lower()
    if value not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "true"


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


DEBUG = envbool("DEBUG", "True")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG=False Spotcheck refuses to start without one; "
            "generate it with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "data"))
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", DATA_DIR / "exports"))  # ground-truth snapshots (shared by web and workers)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_rq",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "axes",
    "reviewapp.projects",
    "reviewapp.ingest",
    "reviewapp.audits",
    "reviewapp.review",
    "reviewapp.metrics",
    "reviewapp.exports",
    "reviewapp.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "reviewapp.middleware.ServiceUnavailableMiddleware",  # early: its process_exception sees every view's
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers locked-out logins
]

if not DEBUG:  # runserver serves static files in development; whitenoise does under gunicorn
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "reviewapp.urls"
WSGI_APPLICATION = "reviewapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviewapp.context_processors.runtime",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions so concurrent writers queue up instead of
# failing with "database is locked" when a read transaction tries to upgrade.
DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'spotcheck.sqlite3'}"
DATABASES = {"default": dj_database_url.config(default=DEFAULT_SQLITE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL streaming replica of DATABASE_URL, for the reads that can wait for it (metrics,
# exports, the scorecard): reviewapp/lib/dbrouter.py, docs/scaling.md. Test databases mirror the
# primary (a replica is read-only: no test database can be created on it).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    if not DATABASES["default"]["ENGINE"] == DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL is a PostgreSQL streaming replica of DATABASE_URL: "
                                   "both must be postgres:// URLs")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["reviewapp.lib.dbrouter.ReplicaRouter"]

# --- Background jobs ------------------------------------------------------------------------
# Explicit, never a silent fallback: with REDIS_URL set every job goes to django-rq and a Redis
# outage is a loud error; without it jobs run in the web process, and the UI and logs say so.
REDIS_URL = os.environ.get("REDIS_URL", "")
JOBS_MODE = "rq" if REDIS_URL else "inprocess"
# Label changes within this many seconds share one metrics recompute (rq mode).
METRICS_DEBOUNCE_SECONDS = envint("METRICS_DEBOUNCE_SECONDS", 10)
RQ_QUEUES = {
    "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 3600},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login attempts are rate-limited (django-axes): after AXES_FAILURE_LIMIT failures for one
# username from one address, that pair is locked out for AXES_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviewapp:project-list"
LOGOUT_REDIRECT_URL = "login"

# --- Ingestion limits (documented in docs/ingest.md) ----------------------------------------
INGEST_MAX_BODY_BYTES = envint("INGEST_MAX_BODY_BYTES", 64 * 1024 * 1024)
INGEST_MAX_RECORD_BYTES = envint("INGEST_MAX_RECORD_BYTES", 1024 * 1024)
INGEST_MAX_RECORDS_PER_REQUEST = envint("INGEST_MAX_RECORDS_PER_REQUEST", 20_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES

# --- I18N, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "reviewapp" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DJANGO_TABLES2_TEMPLATE = "reviewapp/table.html"

# --- Security (production defaults; `manage.py check --deploy` passes with DEBUG=False) -----
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Spotcheck expects a TLS-terminating proxy in front of gunicorn in production.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    # The container healthchecks call /healthz over plain HTTP on loopback, behind no proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only for plain HTTP on loopback (quickstart.py): browsers would not send secure cookies back.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "True")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "reviewapp": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": False},
        # A 500's traceback on the console with DEBUG off too (Django's own console handler is DEBUG-only).
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- E-mail (invitations) ---------------------------------------------------------------------
# With no EMAIL_HOST (the embedded mode) mails are printed on the server's console, so an
# invitation link can be read there; set EMAIL_HOST (and friends) to send them for real.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Spotcheck <spotcheck@localhost>")

# --- Alerts -----------------------------------------------------------------------------------
# Alerts link to the week's metrics page with an absolute URL built on this address.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Webhooks go to public addresses only (a lead's URL must not reach internal services from the
# server); True allows loopback and private addresses, for a receiver on the same network on purpose.
ALERT_WEBHOOK_PRIVATE = envbool("ALERT_WEBHOOK_PRIVATE", "False")
# Final labels back to Langfuse / LangSmith (docs/export.md): public addresses only unless True
# (a self-hosted Langfuse on the same network). The keys are sealed with SPOTCHECK_SECRET_KEY_FERNET
# (read from the environment by reviewapp/lib/sealing.py), else a key derived from SECRET_KEY.
SOURCE_SYNC_PRIVATE = envbool("SOURCE_SYNC_PRIVATE", "False")
