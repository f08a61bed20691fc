"""Django settings, configured only through OKAPI_* environment variables (and `.env`).

Bad values fail loudly at start-up rather than half-working.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from `.env` in the working directory; real variables win."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        os.environ.setdefault(name.strip(), value.strip().strip("'\""))


_load_dotenv(Path.cwd() / ".env")


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected true or false")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("OKAPI_DEBUG", False)
_INSECURE_KEY = "okapi-insecure-development-key-set-OKAPI_SECRET_KEY-in-production"
SECRET_KEY = envstr("OKAPI_SECRET_KEY", _INSECURE_KEY)
ALLOWED_HOSTS = envlist("OKAPI_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("OKAPI_CSRF_TRUSTED_ORIGINS", "")
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto header (docs/deploy.md).
if envbool("OKAPI_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_SECURE = envbool("OKAPI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "okapi.accounts",
    "okapi.workspaces",
    "okapi.goals",
    "okapi.kpis",
    "okapi.rhythm",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "okapi.middleware.SecurityHeadersMiddleware",
    "okapi.middleware.ServiceErrorsMiddleware",
]

ROOT_URLCONF = "okapi.urls"
WSGI_APPLICATION = "okapi.wsgi.application"

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
                "okapi.workspaces.web.navigation",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """SQLite (WAL, a busy timeout, IMMEDIATE transactions) or PostgreSQL from one URL."""
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"OKAPI_DATABASE_URL: unsupported scheme {scheme!r} (use sqlite:/// or postgresql://)"
        )
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN,
            # so concurrent writers queue on the busy timeout instead of failing with
            # "database is locked" when a read lock cannot be upgraded.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": envint("OKAPI_SQLITE_TIMEOUT", 30),
        }
    else:
        config["CONN_MAX_AGE"] = envint("OKAPI_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = envstr("OKAPI_DATABASE_URL", f"sqlite:///{Path.cwd() / 'okapi.db'}")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served from the apps by WhiteNoise; `collectstatic` into OKAPI_STATIC_ROOT
# only when a proxy should serve them instead (docs/deploy.md).
STATIC_ROOT = Path(os.environ["OKAPI_STATIC_ROOT"]) if os.environ.get("OKAPI_STATIC_ROOT") else None
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = envstr("OKAPI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("OKAPI_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("OKAPI_EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("OKAPI_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("OKAPI_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("OKAPI_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("OKAPI_EMAIL_FROM", "okapi@localhost")
# The address people open Okapi at: links in reminders, digests and alerts start with it.
BASE_URL = envstr("OKAPI_BASE_URL", "http://localhost:8000").rstrip("/")
if not BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"OKAPI_BASE_URL={BASE_URL!r}: expected an http(s):// address")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("OKAPI_LOG_LEVEL", "WARNING")},
}

# Background tasks (docs/kpi-sources.md): the `django-tasks` API with the database backend by
# default (no extra server; `okapi worker` runs them), or RQ on Redis for larger installations.
TASKS_BACKEND = envstr("OKAPI_TASKS_BACKEND", "database")
REDIS_URL = envstr("OKAPI_REDIS_URL", "")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("OKAPI_TASKS_BACKEND=redis needs OKAPI_REDIS_URL")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
else:
    raise ImproperlyConfigured(
        f"OKAPI_TASKS_BACKEND={TASKS_BACKEND!r}: expected database, redis or immediate"
    )

SILENCED_SYSTEM_CHECKS: list[str] = []
