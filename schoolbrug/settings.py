"""Django settings. Everything an operator may change comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from schoolbrug.keys import keys_from_setting, load_secret_key


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()):
        raise ImproperlyConfigured(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return int(value)


def _decimal(name: str, default: float, *, most: float | None = None) -> float:
    """A number like 0.25 or 60: a share (at most 1) or seconds."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < float("inf") or (most is not None and number > most):
        limit = f" and at most {most:g}" if most is not None else ""
        raise ImproperlyConfigured(f"{name} must be a number of 0 or more{limit}, not {value!r}.")
    return number


BASE_DIR = Path(__file__).resolve().parent.parent
# Data (the SQLite file, the demo's exports) lives in var/ under the folder Schoolbrug is
# started from, not inside the installed package.
VAR_DIR = Path(os.environ.get("SCHOOLBRUG_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("SCHOOLBRUG_DEBUG", "0") == "1"
# From the environment, or a random key made once under VAR_DIR (see keys.py); a weak
# key with debug off refuses to start.
SECRET_KEY, SECRET_KEY_FROM_FILE = load_secret_key(
    os.environ.get("SCHOOLBRUG_SECRET_KEY"), VAR_DIR, debug=DEBUG
)
# Fernet keys for stored secrets, the first one encrypting (encryption.py); without any, a key
# derived from SECRET_KEY encrypts.
SCHOOLBRUG_ENCRYPTION_KEYS = keys_from_setting(os.environ.get("SCHOOLBRUG_ENCRYPTION_KEY", ""))
ALLOWED_HOSTS = os.environ.get("SCHOOLBRUG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

# HTTPS: off by default so the demo runs on http://127.0.0.1; a production environment sets
# them (README, "Security"). Behind a proxy that ends TLS, SCHOOLBRUG_PROXY_SSL_HEADER=1 trusts
# its X-Forwarded-Proto (only if the proxy always sets it).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("SCHOOLBRUG_SECURE_COOKIES")
SECURE_SSL_REDIRECT = _flag("SCHOOLBRUG_SSL_REDIRECT")
SECURE_HSTS_SECONDS = _number("SCHOOLBRUG_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SCHOOLBRUG_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = _flag("SCHOOLBRUG_HSTS_PRELOAD")
if _flag("SCHOOLBRUG_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A log-in lasts a school day by default, not Django's two weeks.
SESSION_COOKIE_AGE = _number("SCHOOLBRUG_SESSION_HOURS", 8) * 3600
# Reverse proxies of our own in front that append to X-Forwarded-For (client_address.py).
SCHOOLBRUG_PROXY_COUNT = _number("SCHOOLBRUG_PROXY_COUNT", 0)

INSTALLED_APPS = [
    # Django's admin, for superusers only (web/admin_site.py).
    "schoolbrug.web.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "schoolbrug.registry",
    "schoolbrug.audit",
    "schoolbrug.sources",
    "schoolbrug.sync",
    "schoolbrug.links",
    "schoolbrug.staff",
    "schoolbrug.sharing",
    "schoolbrug.enrolment",
    "schoolbrug.roles",
    "schoolbrug.platform",
    "schoolbrug.merge",
    "schoolbrug.web",
    "schoolbrug.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads a POST's body: too large is refused unread.
    "schoolbrug.request_size.RequestSizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # An admin who sees the portal as another person: checks as them, read-only.
    "schoolbrug.roles.view_as.ViewAsMiddleware",
    # During a database merge every write answers 503 (merge/readonly.py).
    "schoolbrug.merge.readonly.ReadOnlyMiddleware",
    # Who changes data through a page or the admin: the audit log's actor (after the user).
    "schoolbrug.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the Dutch lock-out page. The
    # rostering API's handler (handlers.py) does not run it.
    "axes.middleware.AxesMiddleware",
]

# Log-in lock-out (django-axes): after SCHOOLBRUG_LOGIN_FAILURE_LIMIT wrong passwords in a row
# for one user name from one address, that pair is refused for SCHOOLBRUG_LOGIN_COOLOFF_MINUTES
# (the page says so, status 429). An admin unlocks in the admin ("Access attempts") or with
# `schoolbrug axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "schoolbrug.web.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _number("SCHOOLBRUG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = _number("SCHOOLBRUG_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "schoolbrug.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "schoolbrug.web.lockout.locked_out_page"
# A row per failure is enough; no row per successful log-in.
AXES_DISABLE_ACCESS_LOG = True

# Mail: password reset and invitations (roles/accounts.py). Without SCHOOLBRUG_EMAIL_HOST the
# mails are printed to the process's output (the demo); a production sets a mail server.
EMAIL_HOST = os.environ.get("SCHOOLBRUG_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = _number("SCHOOLBRUG_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("SCHOOLBRUG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SCHOOLBRUG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("SCHOOLBRUG_EMAIL_TLS", default=True)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("SCHOOLBRUG_EMAIL_FROM", "schoolbrug@localhost")
# A link to choose a password (reset or invitation) works once, for this many hours.
PASSWORD_RESET_TIMEOUT = _number("SCHOOLBRUG_PASSWORD_LINK_HOURS", 24) * 3600
# Reset requests per hour from one address (then 429) and for one e-mail address (then no
# more mail, with the same answer). Counted in Django's default cache.
SCHOOLBRUG_PASSWORD_RESETS_PER_ADDRESS = _number("SCHOOLBRUG_PASSWORD_RESETS_PER_ADDRESS", 10)
SCHOOLBRUG_PASSWORD_RESETS_PER_EMAIL = _number("SCHOOLBRUG_PASSWORD_RESETS_PER_EMAIL", 3)

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
                "schoolbrug.roles.context.roles",
                "schoolbrug.merge.context.merge",
            ],
        },
    },
]

# The largest request body a view that does not say its own limit accepts (request_size.py).
SCHOOLBRUG_MAX_REQUEST_BYTES = _number("SCHOOLBRUG_MAX_REQUEST_MB", 20) * 2**20

# Seconds a sync waits for another sync of the same institution to finish before it gives up.
SCHOOLBRUG_SYNC_LOCK_WAIT = _decimal("SCHOOLBRUG_SYNC_LOCK_WAIT", 60)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'schoolbrug.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web page read while a sync writes.
    # IMMEDIATE: a transaction takes the write lock when it begins, so a sync's read of the
    # registry and its writes are one (sync/locking.py); others wait for it up to `timeout`.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": SCHOOLBRUG_SYNC_LOCK_WAIT,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# What the rostering API keeps per data version (counts, bookmarks: oneroster/rest/kept.py).
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
LANGUAGES = [
    ("nl-be", "Nederlands (België)"),
    ("nl-nl", "Nederlands (Nederland)"),  # a Dutch school's words (registry/language.py)
    ("nl", "Nederlands"),
    ("en", "English"),
]
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
SCHOOLBRUG_LEAVER_THRESHOLD = _decimal("SCHOOLBRUG_LEAVER_THRESHOLD", 0.25, most=1)
# Share of an institution's active pupils one export may update or move to another class
# before the sync stops and asks for --force: an export that rewrites a school is more
# likely a broken or foreign file than a school's night.
SCHOOLBRUG_CHANGE_THRESHOLD = _decimal("SCHOOLBRUG_CHANGE_THRESHOLD", 0.75, most=1)
# The summer: between these days (day/month, both included; a period may run over New Year)
# no pupil leaves but with --force, since the packages clear and rebuild their classes then.
# An institution may set its own period; empty: no such period.
SCHOOLBRUG_LEAVER_BLACKOUT = os.environ.get("SCHOOLBRUG_LEAVER_BLACKOUT", "1/7-31/8")

# Every 500 (web UI and API) is logged by django.request with its traceback; tracebacks are
# printed without the exceptions' messages, which may quote personal data (logs.py).
_LOG_HANDLER = "file" if os.environ.get("SCHOOLBRUG_LOG_TO") == "file" else "console"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "schoolbrug.logs.TracebackWithoutMessages",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # The console script's log (schoolbrug.cli): stderr is for the Dutch messages a
        # person reads; the English lines go here unless -v 2 or SCHOOLBRUG_LOG_TO=console.
        "file": {
            "class": "logging.FileHandler",
            "filename": str(VAR_DIR / "schoolbrug.log"),
            "formatter": "plain",
            "encoding": "utf-8",
            "delay": True,
        },
    },
    "loggers": {
        "schoolbrug": {
            "handlers": [_LOG_HANDLER],
            "level": os.environ.get("SCHOOLBRUG_LOG_LEVEL", "WARNING"),
        },
        # ERROR: the 500s; a 404 or 400 is the client's, not worth a line each.
        "django.request": {"handlers": [_LOG_HANDLER], "level": "ERROR", "propagate": False},
        # oauthlib and django-oauth-toolkit write request bodies and tokens at DEBUG: never
        # below INFO, whatever level a root logger someone adds is set to.
        "oauthlib": {"level": "INFO"},
        "oauth2_provider": {"level": "INFO"},
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
    "OAUTH2_VALIDATOR_CLASS": "schoolbrug.oneroster.rest.tokens.RosterValidator",
    "SCOPES_BACKEND_CLASS": "schoolbrug.oneroster.rest.tokens.RosterScopes",
    # Apps use the client-credentials grant only (the token view refuses any other); the
    # rest is RFC 9700's advice, so `check --deploy` has nothing to say: PKCE for a code flow,
    # no implicit or password grant, tokens kept as a hash only, https redirects.
    "PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# Wrong client secrets at /oauth/token/: after this many failures in the window, per client id
# from one address and per address, the endpoint answers that address 429 (even to the right
# secret) until the window ends.
# Counted in Django's default cache: give several processes a shared one (Redis).
SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT = _number("SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT", 10)
SCHOOLBRUG_TOKEN_FAILURES_PER_ADDRESS = _number("SCHOOLBRUG_TOKEN_FAILURES_PER_ADDRESS", 30)
SCHOOLBRUG_TOKEN_FAILURE_WINDOW_MINUTES = _number("SCHOOLBRUG_TOKEN_FAILURE_WINDOW_MINUTES", 15)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "schoolbrug.oneroster.rest.errors.exception_handler",
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

# The learning platform's pupil-monitoring systems (platform/delivery.py): where each
# receives UWLR 2.2 BrengLeerresultaten. Set per installation (the vendors' addresses are in
# their contracts, not here); SCHOOLBRUG_MONITORING_<NAME>_URL adds or overrides one.
SCHOOLBRUG_MONITORING_SYSTEMS = {
    name: {"label": label, "url": os.environ.get(f"SCHOOLBRUG_MONITORING_{name.upper()}_URL", "")}
    for name, label in (("momento", "Momento"), ("parnassys", "ParnasSys"), ("esis", "ESIS"))
}
# UWLR 2.2's XSDs (Edustandaard), kept next to the project, not in it: the demo's monitoring
# system checks every message against them (demo/monitoring_receiver.py), as the tests do.
SCHOOLBRUG_UWLR_SCHEMAS = Path(
    os.environ.get("SCHOOLBRUG_UWLR_SCHEMAS", BASE_DIR.parent / "shared" / "uwlr" / "Schemas")
)

# Informat pulls go only over https to public addresses of these hosts ("*.example.be": any
# name under example.be; empty: any public host). The default is where Informat's public API
# lives: the pupils API under informatsoftware.be, tokens from its identity server.
SCHOOLBRUG_INFORMAT_HOSTS = [
    host.strip().lower()
    for host in os.environ.get(
        "SCHOOLBRUG_INFORMAT_HOSTS", "*.informatsoftware.be,www.identityserver.be"
    ).split(",")
    if host.strip()
]
# Tests only, never from the environment: lets a pull reach a test server on this machine
# (127.0.0.1, ::1), over http or https.
SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = False

# The official offer (Onderwijs Vlaanderen's API) the LOP expert compares a school's offer with
# (enrolment/official.py); without a key the expert uploads the CSV instead.
SCHOOLBRUG_ONDERWIJS_API_URL = os.environ.get(
    "SCHOOLBRUG_ONDERWIJS_API_URL", "https://onderwijs.api.vlaanderen.be/instellingsgegevens"
)
SCHOOLBRUG_ONDERWIJS_API_KEY = os.environ.get("SCHOOLBRUG_ONDERWIJS_API_KEY", "")

# A database merge (merge/, issue 23). Backups go to VAR_DIR/merge-backups/. Before a merge's
# backup and fold start, every process must have seen the read-only flag: each caches it for
# SCHOOLBRUG_MERGE_FLAG_SECONDS, and execute waits SCHOOLBRUG_MERGE_SETTLE_SECONDS (more than
# that, plus a request's usual length) after raising it.
SCHOOLBRUG_MERGE_FLAG_SECONDS = _decimal("SCHOOLBRUG_MERGE_FLAG_SECONDS", 1)
SCHOOLBRUG_MERGE_SETTLE_SECONDS = _decimal("SCHOOLBRUG_MERGE_SETTLE_SECONDS", 5)
# Where pg_dump and pg_restore are, when not on PATH (e.g. /usr/lib/postgresql/16/bin): they
# must be at least the server's major version.
SCHOOLBRUG_PG_BIN = os.environ.get("SCHOOLBRUG_PG_BIN", "")
