"""Settings for Zhengwu. Every value that differs between machines comes from the environment
(documented in .env.example); nothing here branches on where it runs."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp

BASE_DIR = Path(__file__).resolve().parent.parent
# The .env file first (ZHENGWU_ENV_FILE names another), so that every setting below — the var/
# directory included — may come from it; a variable set in the environment wins over the file.
env = environ.Env()
ENV_FILE = Path(env.str("ZHENGWU_ENV_FILE", default=str(BASE_DIR / ".env")))
env.read_env(ENV_FILE) if ENV_FILE.exists() else None
VAR_DIR = Path(env.str("ZHENGWU_VAR_DIR", default=str(BASE_DIR / "var")))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def _generated_key(
    key: str, filename: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(50)
) -> str:
    """``key`` as the environment gave it, or else var/<filename>, made on first run and never
    committed (var/ is ignored)."""
    if key:
        return key
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _generated_key(env.str("SECRET_KEY", default=""), "secret_key")
# The key of the appeals' history MACs (appeals/events.py). Kept apart from SECRET_KEY: rotating
# that must not make every history unverifiable (docs/deploy.md, key rotation).
HISTORY_CHAIN_KEY = _generated_key(env.str("HISTORY_CHAIN_KEY", default=""), "history_chain_key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "zhengwu.core",
    "zhengwu.org",
    "zhengwu.accounts",
    "zhengwu.calendar",
    "zhengwu.catalog",
    "zhengwu.casework",
    "zhengwu.triage",
    "zhengwu.appeals",
    "zhengwu.applications",
    "zhengwu.licences",
    "zhengwu.ratings",
    "zhengwu.hall",
    "zhengwu.analytics",
    "zhengwu.notifications",
    "zhengwu.api",
    "zhengwu.web",
    # The admin with our AdminSite (administrators only), listed after zhengwu.web so that the
    # web app's admin/ templates take precedence over the admin's own.
    "zhengwu.accounts.admin_apps.AdminSiteConfig",
]

MIDDLEWARE = [
    "zhengwu.api.middleware.ApiErrorFormatMiddleware",  # outermost: API clients never get HTML
    "zhengwu.core.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "zhengwu.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Each worker thread keeps its connection between requests (PostgreSQL starts a process for every
# new one, which cost more than an intake itself); checked before reuse after an error.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=300))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker and the web server share the file without "database is locked".
    # IMMEDIATE: a transaction takes the write lock when it begins, so a second writer waits (up to
    # "timeout" s) and then reads what the first committed — a stale version becomes a 409 — instead
    # of failing with "database is locked" when it tries to upgrade a read lock (select_for_update
    # does nothing on SQLite).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Covering indexes (Index(include=…)) are a PostgreSQL optimisation; SQLite builds the index
    # without the extra columns, which is all a demo needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sessions end after SESSION_IDLE_SECONDS without a request, and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=1800)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Production behind TLS (docs/deploy.md): send http to https, ask browsers to keep to https (HSTS),
# and believe the proxy's X-Forwarded-Proto — only when our own proxy sets it (BEHIND_TLS_PROXY).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): scripts only from this site — no inline script or on*
# handler anywhere (web/static/web/site.js carries that behaviour) and no eval (htmx's is off);
# styles from this site and the pages' own <style> blocks, which carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# Lock an account after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
# Locked is a username tried from one address: a stranger cannot lock a known user out, and one
# clerk's typos behind a hall's proxy do not lock out everyone behind it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "zhengwu.core.throttle.address"
# Failed logins from one address (any usernames) before it is refused for LOGIN_LOCKOUT_MINUTES.
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=50)
# The header our own reverse proxy sets to the client's address (e.g. X-Real-IP); empty: the
# connection's address (REMOTE_ADDR). Never set it without a proxy that overwrites the header.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")


# The key of the citizens' query codes (查询码, stored as HMACs): apart from SECRET_KEY, so that
# rotating the secret key leaves every code working.
QUERY_CODE_KEY = _generated_key(env.str("QUERY_CODE_KEY", default=""), "query_code_key")

# The keys that seal the departments' SM2 private keys at rest (电子印章, licences/crypto.py):
# "id:base64(32 bytes)" pairs, comma-separated, the current one first. If unset, one is generated
# into var/licence_sealing_keys on first run.
LICENCE_SEALING_KEYS = env.str("LICENCE_SEALING_KEYS", default="") or _generated_key(
    "", "licence_sealing_keys", lambda: f"local1:{base64.b64encode(secrets.token_bytes(32)).decode()}"
)

# Counters every worker must share (login and tracking lock-outs, API throttles): the database by
# default (table created by core's migration 0002), Redis when CACHE_URL is set.
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "zhengwu",
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "zhengwu_cache"}
    )
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Trained triage models (one file per version); default var/triage/models.
TRIAGE_MODEL_DIR = env.str("TRIAGE_MODEL_DIR", default="")
# The weekly retraining runs only once this many training examples arrived since the last version:
# a model trained on a handful of decisions would answer worse than the 派单目录 rules.
TRIAGE_RETRAIN_MIN_NEW = env.int("TRIAGE_RETRAIN_MIN_NEW", default=200)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# The largest request body, files included, refused with 413 before it is read (core.middleware):
# three 5 MB attachments and the form fit; 0 turns the check off.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=20 * 1024 * 1024)
# A form sent from an expired page gets a Chinese page that says what to do (web.errors).
CSRF_FAILURE_VIEW = "zhengwu.web.errors.csrf_failure"

# Background tasks: the database (default, nothing extra to run: `manage.py db_worker`) or, for
# scale, RQ on Redis (TASKS_BACKEND=django_tasks_rq.RQBackend, TASKS_REDIS_URL; workers run
# `manage.py rqworker default --job-class django_tasks_rq.Job`). docs/deploy.md.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {
    "default": {
        "URL": env.str("TASKS_REDIS_URL", default="redis://127.0.0.1:6379/0"),
        "DEFAULT_TIMEOUT": 3600,
    }
}
# django-rq's queue dashboard would be a model in the admin without a table; `manage.py rqstats`
# shows the same from the command line.
RQ_SHOW_ADMIN_LINK = False

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "zhengwu.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "zhengwu.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "政务 Zhengwu API",
    "DESCRIPTION": "政务服务与有诉即办一体化平台接口",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several matters have a field named "state": each choice set gets its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "AppealStateEnum": "zhengwu.appeals.workflow.AppealState",
        "ApplicationStateEnum": "zhengwu.applications.workflow.ApplicationState",
        "BundleStateEnum": "zhengwu.applications.models.BundleState",
        "ProxyStateEnum": "zhengwu.applications.models.ProxyState",
        "AppointmentStateEnum": "zhengwu.hall.models.AppointmentState",
        "TicketStateEnum": "zhengwu.hall.models.TicketState",
    },
}

# Working hours for fractional working-day limits (0.5 = half a working day).
WORKING_HOURS = env.list("WORKING_HOURS", default=["09:00-12:00", "13:30-17:30"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Appeals: how many times an unsatisfied callback reopens an appeal before it goes to the 纪委督办
# red list, and when a running limit turns yellow: at the later of the moment this share of its
# working time is used and the moment this many working hours are left (appeals.selectors.yellow_from).
APPEAL_MAX_REOPENS = env.int("APPEAL_MAX_REOPENS", default=2)
APPEAL_YELLOW_SHARE = env.float("APPEAL_YELLOW_SHARE", default=0.8)
APPEAL_YELLOW_WORKING_HOURS = env.float("APPEAL_YELLOW_WORKING_HOURS", default=7.0)
# Appointments: no-shows within the last APPOINTMENT_NO_SHOW_BAN_DAYS days that stop online booking.
APPOINTMENT_NO_SHOW_LIMIT = env.int("APPOINTMENT_NO_SHOW_LIMIT", default=3)
APPOINTMENT_NO_SHOW_BAN_DAYS = env.int("APPOINTMENT_NO_SHOW_BAN_DAYS", default=30)
# Hall queue: numbers one address may take at the kiosk page in 10 minutes (a hall's kiosk machine
# behind one address needs a high figure; the page is open to anyone).
QUEUE_KIOSK_LIMIT = env.int("QUEUE_KIOSK_LIMIT", default=300)

# Notices to citizens (SMS on reply): console (logged), file (var/notifications/outbox.jsonl), http
# (the SMS gateway below) or a dotted path to a sender class. SITE_URL puts a full tracking link in it.
NOTIFY_BACKEND = env.str("NOTIFY_BACKEND", default="console")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# A text to the number SMS replies reach (a digit 1–5 rates, TD opts out) is posted by the gateway to
# /api/sms/inbound/ with this token in the Authorization header ("Token …"); empty refuses them all.
SMS_INBOUND_TOKEN = env.str("SMS_INBOUND_TOKEN", default="")
IDENTITY_PROVIDER = env.str("IDENTITY_PROVIDER", default="zhengwu.accounts.identity.LocalRegistry")
SITE_URL = env.str("SITE_URL", default="")
# The sender's signature in SMS (shown as 【…】) and e-mail subjects, and the site's name in notices.
SMS_SIGNATURE = env.str("SMS_SIGNATURE", default="示范市12345")
SITE_NAME = env.str("SITE_NAME", default="示范市政务服务网")

# 好差评: 追评 taken within RATING_FOLLOW_UP_DAYS calendar days of the first rating; a 差评's 回访核实
# within RATING_VERIFY_WORKING_DAYS and its 整改 within RATING_FIX_WORKING_DAYS working days (5, 7 or
# 15 by the city's rule). 智能邀评 SMS go out RATING_INVITE_DELAY_MINUTES after a matter finishes, only
# between RATING_INVITE_HOURS (Asia/Shanghai), with one reminder RATING_REMIND_AFTER_DAYS later; each
# week RATING_PHONE_SAMPLE_SHARE of the finished matters of every department are drawn for 电话邀评.
# The window pad shows a finished service for RATING_PAD_VISIT_MINUTES.
RATING_FOLLOW_UP_DAYS = env.int("RATING_FOLLOW_UP_DAYS", default=15)
RATING_VERIFY_WORKING_DAYS = env.int("RATING_VERIFY_WORKING_DAYS", default=1)
RATING_FIX_WORKING_DAYS = env.int("RATING_FIX_WORKING_DAYS", default=5)
RATING_INVITE_DELAY_MINUTES = env.int("RATING_INVITE_DELAY_MINUTES", default=30)
RATING_INVITE_HOURS = env.str("RATING_INVITE_HOURS", default="09:00-20:00")
RATING_REMIND_AFTER_DAYS = env.int("RATING_REMIND_AFTER_DAYS", default=3)
RATING_PHONE_SAMPLE_SHARE = env.float("RATING_PHONE_SAMPLE_SHARE", default=0.05)
RATING_PAD_VISIT_MINUTES = env.int("RATING_PAD_VISIT_MINUTES", default=10)
