"""Django settings. Everything an operator may change comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Data (the SQLite file, the demo's exports) lives in var/ under the folder Schoolbrug is
# started from, not inside the installed package.
VAR_DIR = Path(os.environ.get("SCHOOLBRUG_VAR_DIR", Path.cwd() / "var"))

SECRET_KEY = os.environ.get("SCHOOLBRUG_SECRET_KEY", "insecure-dev-key-set-SCHOOLBRUG_SECRET_KEY")
DEBUG = os.environ.get("SCHOOLBRUG_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("SCHOOLBRUG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "rest_framework",
    "drf_spectacular",
    "schoolbrug.registry",
    "schoolbrug.audit",
    "schoolbrug.sources",
    "schoolbrug.sync",
    "schoolbrug.sharing",
    "schoolbrug.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "schoolbrug.urls"
WSGI_APPLICATION = "schoolbrug.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'schoolbrug.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web page read while a sync writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# What the rostering API keeps per data version (counts, bookmarks: sharing/api/kept.py).
# A redis:// URL shares it between all workers, so a new version is counted once, not once
# per worker; without one each process keeps its own and the demo needs nothing.
CACHE_URL = os.environ.get("SCHOOLBRUG_CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "schoolbrug",
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured("SCHOOLBRUG_CACHE_URL must be a redis:// URL (or empty)")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "nl-be"
LANGUAGES = [("nl-be", "Nederlands (België)"), ("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "schoolbrug" / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# Share of an institution's active pupils that one export may make leave before the
# sync stops and asks for --force (seed 000: leavers are moved, a broken export must not
# move a whole school).
SCHOOLBRUG_LEAVER_THRESHOLD = float(os.environ.get("SCHOOLBRUG_LEAVER_THRESHOLD", "0.25"))

# Every 500 (web UI and API) is logged by django.request with its traceback; tracebacks are
# printed without the exceptions' messages, which may quote personal data (logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "schoolbrug.logs.TracebackWithoutMessages",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "schoolbrug": {
            "handlers": ["console"],
            "level": os.environ.get("SCHOOLBRUG_LOG_LEVEL", "WARNING"),
        },
        # ERROR: the 500s; a 404 or 400 is the client's, not worth a line each.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# OneRoster 1.2 API: OAuth2 client credentials (django-oauth-toolkit), answered by DRF.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "OAUTH2_VALIDATOR_CLASS": "schoolbrug.sharing.api.tokens.RosterValidator",
    "SCOPES_BACKEND_CLASS": "schoolbrug.sharing.api.tokens.RosterScopes",
    "PKCE_REQUIRED": False,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "schoolbrug.sharing.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Schoolbrug OneRoster 1.2 rostering API",
    "VERSION": "1.2",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Background work (the sync of an upload, the scheduler's runs): Celery workers fed by this
# broker, e.g. redis://127.0.0.1:6379/0. Empty: the work runs in the process that asks for it,
# so the demo needs nothing. No result backend: an upload's state is kept in the database.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
