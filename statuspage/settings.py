"""Candor settings: everything comes from the environment, with embedded defaults.

With no environment at all Candor runs on SQLite, a file cache and a SQLite Celery broker,
so `make run` needs no server. DATABASE_URL and REDIS_URL switch to PostgreSQL and
Redis. `.env.example` documents every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from incidents.client_address import trusted_networks_parse
from statuspage.broker import embedded_broker
from statuspage.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_prefixed,
    env_prices,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CANDOR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("CANDOR_DEBUG", False)
# Production turns on everything that needs HTTPS in front: secure cookies, HSTS.
PRODUCTION = env_bool("CANDOR_PRODUCTION", False)

SECRET_KEY = env_secret("CANDOR_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigError("CANDOR_SECRET_KEY (or CANDOR_SECRET_KEY_FILE) is required in production")
    SECRET_KEY = "candor-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("CANDOR_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CANDOR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "csp",
    "incidents",
]

MIDDLEWARE = [
    "incidents.http_methods.RefuseTraceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "incidents.public.language.LanguageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A reader's session loses what expired or was revoked before any view reads it.
    "incidents.readers.middleware.ReaderSessionMiddleware",
    # The console in the staff member's language (after the user is known).
    "incidents.console.language.ConsoleLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "statuspage.urls"
WSGI_APPLICATION = "statuspage.wsgi.application"
ASGI_APPLICATION = "statuspage.asgi.application"

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
                "incidents.context_processors.candor",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The embedded default: a file next to the code, so a first run needs no server.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'candor.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CANDOR_DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that vanished from the network (no refusal, just silence) must cost a
    # public request seconds before it falls back to the published snapshot, not a hang;
    # keepalives notice a dead peer on a connection that was already open.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("CANDOR_DB_CONNECT_TIMEOUT", 3, minimum=1),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CANDOR_CACHE_PREFIX", "candor"),
            # A cache that is down must cost a request milliseconds, not a hang.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Shared between web and worker processes, unlike LocMem, so a change made by the
    # worker (maintenance starting) invalidates what the web process caches.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"
LOGOUT_REDIRECT_URL = "console:login"

# The public side speaks these (locale/, compiled by the Makefile); English stays at the
# unprefixed URLs, the others live under /<code>/ (incidents/public/language.py).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ja", "日本語"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The image bakes its static files outside the data volume, so an upgrade never serves
# (or publishes) the previous release's hashed names from a volume it mounted.
STATIC_ROOT = Path(env_str("CANDOR_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Content-hashed names: a published page never mixes old CSS with new HTML.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers. The console posts forms and fetches previews from its own origin only.
# Sessions read from the cache first: a reader of an audience is still known (and served
# their audience's private copy) while the database is down (incidents/audiences/).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None

# No inline script, no third-party origin: every asset the pages load is our own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Candor staff API",
    "DESCRIPTION": "Open incidents, post updates, set component status and schedule "
    "maintenance. Every call goes through the same lifecycle services as the console.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Celery: Redis when configured, otherwise a SQLite file (statuspage/broker.py; no server).
CELERY_TASK_ALWAYS_EAGER = env_bool("CANDOR_CELERY_EAGER", False)
EMBEDDED_BROKER = not REDIS_URL
if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = embedded_broker(VAR_DIR)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    # Starts and completes maintenance windows that were scheduled with auto start/end,
    # reminds subscribers of windows about to start, and notes windows that overran.
    "maintenance-sweep": {"task": "incidents.tasks.maintenance_sweep", "schedule": 30.0},
    # Compares every publish target's version with the site's: alerts staff once when one
    # lags past CANDOR_PUBLISH_STALE_AFTER (and when it recovers), and requests a publish,
    # which makes good a publish lost with its task. A minute is fine-grained enough for
    # an alert that waits two, and costs two small queries.
    "publish-freshness-check": {
        "task": "incidents.tasks.publish_freshness_check",
        "schedule": 60.0,
    },
    # Out-of-band updates the targets hold, into the database once each
    # (incidents/publish/oob_reconcile.py): the app back after an outage catches up here.
    "publish-reconcile": {"task": "incidents.tasks.publish_reconcile", "schedule": 60.0},
    # The "last verified" stamp in every copy (incidents/publish/verified.py).
    "publish-verify-stamp": {
        "task": "incidents.tasks.publish_verify_stamp",
        "schedule": 60.0,
    },
    # Renders the whole public site and pushes what differs: publishes in between render
    # only the pages a change can reach (publish/dependencies.py); this heals anything
    # they reuse that has drifted (a page's "generated" time, a missed dependency).
    "publish-full": {"task": "incidents.tasks.publish_full", "schedule": 6 * 3600.0},
    # Removes rendered bodies no kept render names (publish/objects.py), only once they are
    # ten minutes old: a render in progress may be about to name them.
    "publish-collect": {"task": "incidents.tasks.publish_collect", "schedule": 600.0},
    # Forgets idempotency keys past their 24 hours: a retry or a form sent twice comes
    # within minutes, and every keyed write adds a row that nothing else removes.
    # Re-queues deliveries whose worker died mid-batch (past CANDOR_NOTIFY_LEASE) and
    # restarts the fan-out of any channel with due deliveries: what makes a lost broker
    # message, a killed worker or a Redis outage cost a delay, never a message. It also
    # ends the follows of resolved incidents once their resolution is out (notify/follow.py).
    "notify-sweep": {"task": "incidents.tasks.notify_sweep", "schedule": 15.0},
    "idempotency-keys-prune": {
        "task": "incidents.tasks.idempotency_keys_prune",
        "schedule": 3600.0,
    },
    # Claims the update reminders, escalations and maintenance reminders whose time has
    # come and queues one send task each. Every few seconds, so a reminder leaves within
    # seconds of its time; a sweep with nothing due is one indexed query.
    "reminders-sweep": {"task": "incidents.tasks.reminders_sweep", "schedule": 5.0},
    # Retries what could not tell an approver that words wait (mail server or Twilio
    # down), and re-sends a notice whose task was lost: the first try goes on commit.
    "approver-notices-sweep": {
        "task": "incidents.tasks.approver_notices_sweep",
        "schedule": 10.0,
    },
    # Routes signals whose routing task was lost (broker down, worker died) and
    # re-evaluates components whose hold or quiet period ends with the clock rather than
    # with a new signal. Every 10 s: recovery and raising are then late by at most that.
    "ingest-sweep": {"task": "incidents.tasks.ingest_sweep", "schedule": 10.0},
    # Polls the vendors whose next poll is due (each has its own interval and backoff);
    # with none due it is one indexed query. Every 15 s: a vendor is late by at most that.
    "vendors-poll": {"task": "incidents.tasks.vendors_poll", "schedule": 15.0},
}
if EMBEDDED_BROKER:
    # The SQLite broker keeps taken messages until deleted (statuspage/broker.py).
    CELERY_BEAT_SCHEDULE["broker-prune"] = {
        "task": "incidents.tasks.broker_prune",
        "schedule": 600.0,
    }
# Tasks the worker itself queues (a sweep's sends) go here; a deployment sharing one Redis
# with another gives each its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CANDOR_CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Monitor signals (POST /api/ingest/<source>/): the largest body accepted, and how long
# a queued routing run covers further requests (0 queues one per request).
CANDOR_INGEST_MAX_BODY = env_int("CANDOR_INGEST_MAX_BODY", 256 * 1024, minimum=1024)
CANDOR_INGEST_COALESCE_SECONDS = env_int("CANDOR_INGEST_COALESCE_SECONDS", 1, minimum=0)
# Dependencies: an upstream outage within this many seconds of the last change to a pending
# impact proposal joins it, so a storm of upstream changes is one proposal that grows.
CANDOR_IMPACT_STORM_SECONDS = env_int("CANDOR_IMPACT_STORM_SECONDS", 600, minimum=0)

# The public page.
CANDOR_PAGE_ID = env_str("CANDOR_PAGE_ID", "candor0000pg")
CANDOR_PAGE_NAME = env_str("CANDOR_PAGE_NAME", "Candor Demo")
CANDOR_CANONICAL_URL = env_str("CANDOR_CANONICAL_URL", "http://localhost:8000").rstrip("/")
# Where the live app answers visitors, for what a static copy cannot do (subscribing). The
# canonical URL unless that name points at a mirror or bucket (README, "Independent hosting").
CANDOR_APP_URL = env_str("CANDOR_APP_URL", CANDOR_CANONICAL_URL).rstrip("/")
# Purging the CDN in front of the page after each publish, at most once per interval
# (incidents/publish/purge.py; README, "Behind a CDN"). Off without a URL.
CANDOR_CDN_PURGE_URL = env_str("CANDOR_CDN_PURGE_URL", "")
CANDOR_CDN_PURGE_METHOD = env_str("CANDOR_CDN_PURGE_METHOD", "POST").upper()
CANDOR_CDN_PURGE_HEADERS = env_list("CANDOR_CDN_PURGE_HEADERS", [])  # "Name: value", ...
CANDOR_CDN_PURGE_BODY = env_str("CANDOR_CDN_PURGE_BODY", '{"purge_everything": true}')
CANDOR_CDN_PURGE_INTERVAL = env_int("CANDOR_CDN_PURGE_INTERVAL", 5, minimum=1)
# Email-in (manage.py post_in_mail): the addresses its SMTP listener accepts mail for;
# empty accepts any (README, "Posting by SMS and email").
CANDOR_POST_IN_ADDRESSES = env_list("CANDOR_POST_IN_ADDRESSES", [])
# Seconds browsers and proxies may reuse a public response; ETags make revalidation cheap.
CANDOR_PUBLIC_MAX_AGE = env_int("CANDOR_PUBLIC_MAX_AGE", 10, minimum=0)
# What a CDN or caching proxy may do with them (incidents/public/cache_control.py, README
# "Behind a CDN"): serve its copy this long without asking, keep serving it while it
# fetches the next, and serve it instead of an error when the origin fails.
CANDOR_PUBLIC_SHARED_MAX_AGE = env_int("CANDOR_PUBLIC_SHARED_MAX_AGE", 10, minimum=0)
CANDOR_PUBLIC_STALE_WHILE_REVALIDATE = env_int(
    "CANDOR_PUBLIC_STALE_WHILE_REVALIDATE", 30, minimum=0
)
CANDOR_PUBLIC_STALE_IF_ERROR = env_int("CANDOR_PUBLIC_STALE_IF_ERROR", 86400, minimum=0)
# Readers get the previous rendering of a public page while its new one renders in the
# background (incidents/public/cache.py); false renders inside the reader's request.
CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND = env_bool("CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND", True)
CANDOR_UPTIME_DAYS = env_int("CANDOR_UPTIME_DAYS", 90, minimum=1)

# Staff sign-in (README, "Two-factor login"). Required by default in production; the
# staff API's tokens are not affected (they are secrets an Admin issues to scripts).
CANDOR_REQUIRE_2FA = env_bool("CANDOR_REQUIRE_2FA", PRODUCTION)
# How long the one-click approve/reject link sent to approvers stays valid (hours).
CANDOR_APPROVAL_LINK_HOURS = env_int("CANDOR_APPROVAL_LINK_HOURS", 24, minimum=1)
CANDOR_LOGIN_FAILURES_ALLOWED = env_int("CANDOR_LOGIN_FAILURES_ALLOWED", 5, minimum=1)
CANDOR_LOGIN_LOCKOUT_SECONDS = env_int("CANDOR_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# Reverse proxies whose X-Forwarded-For is believed (CIDRs); empty: none, the connecting
# address is the client. Rate limits, lockout and audit use incidents/client_address.py.
CANDOR_TRUSTED_PROXIES = env_list("CANDOR_TRUSTED_PROXIES", [])
try:
    trusted_networks_parse(CANDOR_TRUSTED_PROXIES)
except ValueError as exc:
    raise ConfigError(f"CANDOR_TRUSTED_PROXIES: {exc}") from None
OTP_TOTP_ISSUER = CANDOR_PAGE_NAME

# Staff single sign-on through OpenID Connect (README, "Single sign-on for staff (and
# break-glass)"); off without an issuer. mozilla-django-oidc runs the code flow (PKCE,
# state, nonce, the ID token checked against the provider's JWKS); incidents/sso_oidc.py
# finds the endpoints through the issuer's discovery document.
CANDOR_OIDC_ISSUER = env_str("CANDOR_OIDC_ISSUER").rstrip("/")
CANDOR_OIDC_CLIENT_ID = env_str("CANDOR_OIDC_CLIENT_ID")
CANDOR_OIDC_CLIENT_SECRET = env_secret("CANDOR_OIDC_CLIENT_SECRET")
if CANDOR_OIDC_ISSUER and not (CANDOR_OIDC_CLIENT_ID and CANDOR_OIDC_CLIENT_SECRET):
    raise ConfigError(
        "CANDOR_OIDC_ISSUER needs CANDOR_OIDC_CLIENT_ID and CANDOR_OIDC_CLIENT_SECRET"
    )
CANDOR_OIDC_SCOPES = env_str("CANDOR_OIDC_SCOPES", "openid profile email groups")
# The claim holding the user's groups, and which group gives which role: "group=Role",
# comma-separated (a group may be listed more than once for several roles). Re-applied
# at every sign-in; someone whose groups give no role is not let in.
CANDOR_OIDC_GROUPS_CLAIM = env_str("CANDOR_OIDC_GROUPS_CLAIM", "groups")
CANDOR_OIDC_ROLES: list[tuple[str, str]] = []
for _pair in env_list("CANDOR_OIDC_ROLES", []):
    _group, _sep, _role = _pair.partition("=")
    if not _sep or not _group.strip() or not _role.strip():
        raise ConfigError(f"CANDOR_OIDC_ROLES: {_pair!r} is not group=Role")
    CANDOR_OIDC_ROLES.append((_group.strip(), _role.strip()))
# With SSO on, only accounts an Admin marked break-glass sign in with a password (and
# their two-factor code); everyone else goes through the provider.
CANDOR_SSO_REQUIRED = env_bool("CANDOR_SSO_REQUIRED", bool(CANDOR_OIDC_ISSUER))
# Seconds to wait for the provider (discovery, JWKS, token, userinfo) before saying it is down.
CANDOR_OIDC_TIMEOUT = env_int("CANDOR_OIDC_TIMEOUT", 5, minimum=1)
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "incidents.sso_oidc.CandorOidcBackend",
]
# What mozilla-django-oidc reads itself (the endpoints come from discovery).
OIDC_RP_CLIENT_ID = CANDOR_OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = CANDOR_OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = CANDOR_OIDC_SCOPES
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = CANDOR_OIDC_TIMEOUT
OIDC_AUTHENTICATION_CALLBACK_URL = "console:sso_callback"
OIDC_CREATE_USER = True

# Readers of audience pages (incidents/readers/; README, "Readers: sign-in for audience
# pages"). A second OIDC client, separate from the staff one: its own issuer, client and
# scopes, and audiences given by Audience.oidc_groups rather than roles. Off without an
# issuer; readers without it sign in through links an Admin's invitation sends.
CANDOR_READER_OIDC_ISSUER = env_str("CANDOR_READER_OIDC_ISSUER").rstrip("/")
CANDOR_READER_OIDC_CLIENT_ID = env_str("CANDOR_READER_OIDC_CLIENT_ID")
CANDOR_READER_OIDC_CLIENT_SECRET = env_secret("CANDOR_READER_OIDC_CLIENT_SECRET")
if CANDOR_READER_OIDC_ISSUER and not (
    CANDOR_READER_OIDC_CLIENT_ID and CANDOR_READER_OIDC_CLIENT_SECRET
):
    raise ConfigError(
        "CANDOR_READER_OIDC_ISSUER needs CANDOR_READER_OIDC_CLIENT_ID and "
        "CANDOR_READER_OIDC_CLIENT_SECRET"
    )
CANDOR_READER_OIDC_SCOPES = env_str("CANDOR_READER_OIDC_SCOPES", "openid profile email groups")
CANDOR_READER_OIDC_GROUPS_CLAIM = env_str("CANDOR_READER_OIDC_GROUPS_CLAIM", "groups")
# The provider's name on the reader sign-in page's button ("Sign in with <label>").
CANDOR_READER_OIDC_LABEL = env_str("CANDOR_READER_OIDC_LABEL", "single sign-on")
# How long a reader stays signed in, whatever the session cookie says.
CANDOR_READER_SESSION_SECONDS = env_int("CANDOR_READER_SESSION_SECONDS", 8 * 3600, minimum=60)
# How long an invitation's link, and a link asked for again, may be opened (once).
CANDOR_READER_INVITE_SECONDS = env_int("CANDOR_READER_INVITE_SECONDS", 7 * 86400, minimum=60)
CANDOR_READER_LINK_SECONDS = env_int("CANDOR_READER_LINK_SECONDS", 1800, minimum=60)

# Approved wording (README, "Roles, templates and the wording policy"). The approvals a
# template version needs, by approver kind: "legal", "support", or "any" approver.
CANDOR_TEMPLATE_APPROVALS = env_list("CANDOR_TEMPLATE_APPROVALS", ["legal", "support"])
CANDOR_CUSTOM_TEXT_APPROVALS = env_list("CANDOR_CUSTOM_TEXT_APPROVALS", ["any"])
for _kind in CANDOR_TEMPLATE_APPROVALS + CANDOR_CUSTOM_TEXT_APPROVALS:
    if _kind not in ("legal", "support", "any"):
        raise ConfigError(f"approval kind {_kind!r} is not one of legal, support, any")
if not CANDOR_TEMPLATE_APPROVALS or not CANDOR_CUSTOM_TEXT_APPROVALS:
    raise ConfigError("wording needs at least one approval (the two-person rule)")
# The languages a template version may be translated into (README, "Approved
# translations"): BCP 47 codes; each translation is approved like the original.
CANDOR_WORDS_LANGUAGES = env_list("CANDOR_WORDS_LANGUAGES", ["en", "de", "fr", "es", "ja", "ar"])

# Publishing the public site to an S3-compatible bucket, on when the bucket is set.
CANDOR_S3_BUCKET = env_str("CANDOR_S3_BUCKET")
CANDOR_S3_ENDPOINT_URL = env_str("CANDOR_S3_ENDPOINT_URL")  # empty: AWS itself
CANDOR_S3_REGION = env_str("CANDOR_S3_REGION", "us-east-1")
# Both empty: boto3's own chain (AWS_* variables, an instance or task role).
CANDOR_S3_ACCESS_KEY_ID = env_secret("CANDOR_S3_ACCESS_KEY_ID")
CANDOR_S3_SECRET_ACCESS_KEY = env_secret("CANDOR_S3_SECRET_ACCESS_KEY")
if bool(CANDOR_S3_ACCESS_KEY_ID) != bool(CANDOR_S3_SECRET_ACCESS_KEY):
    raise ConfigError(
        "CANDOR_S3_ACCESS_KEY_ID and CANDOR_S3_SECRET_ACCESS_KEY are set together or not at all"
    )
CANDOR_S3_PREFIX = env_str("CANDOR_S3_PREFIX").strip("/")
# Self-hosted stores (MinIO) answer at one host, so a custom endpoint defaults to paths.
CANDOR_S3_ADDRESSING = env_choice(
    "CANDOR_S3_ADDRESSING", ("path", "virtual"), "path" if CANDOR_S3_ENDPOINT_URL else "virtual"
)

# Publishing the public site as static snapshots (docs/design.md, "Publishing").
# Where it goes: "local" (CANDOR_MIRROR_DIR, served by the nginx mirror) and "s3" (the
# bucket above); by default the mirror, and the bucket too when one is set.
CANDOR_PUBLISH_TARGETS = env_list(
    "CANDOR_PUBLISH_TARGETS", ["local", "s3"] if CANDOR_S3_BUCKET else ["local"]
)
if unknown := set(CANDOR_PUBLISH_TARGETS) - {"local", "s3"}:
    raise ConfigError(
        f"CANDOR_PUBLISH_TARGETS: unknown {', '.join(sorted(unknown))}; known: local, s3"
    )
if "s3" in CANDOR_PUBLISH_TARGETS and not CANDOR_S3_BUCKET:
    raise ConfigError("CANDOR_PUBLISH_TARGETS names s3 but CANDOR_S3_BUCKET is not set")
CANDOR_MIRROR_DIR = Path(env_str("CANDOR_MIRROR_DIR", str(VAR_DIR / "mirror")))
# Out-of-band updates (publish/oob_reconcile.py): reconciliation notifies subscribers of
# an incident's newest one only if it was posted less than this many seconds ago.
CANDOR_OOB_NOTIFY_WITHIN = env_int("CANDOR_OOB_NOTIFY_WITHIN", 3600, minimum=0)
# Each audience's private copy of the site (publish/audience_mirror.py): never under the
# public mirror, which nginx serves to anyone; only the app serves it, to signed-in readers.
CANDOR_AUDIENCE_MIRROR_DIR = Path(
    env_str("CANDOR_AUDIENCE_MIRROR_DIR", str(VAR_DIR / "audience-mirror"))
)
# Signed notices (incidents/signing.py, docs/security.md): the Ed25519 private key as PEM
# (or CANDOR_SIGNING_KEY_FILE); without it, key files made by `manage.py signing_key` in
# CANDOR_SIGNING_KEYS_DIR. Outside production a dev key is made there on first use.
CANDOR_SIGNING_KEY = env_secret("CANDOR_SIGNING_KEY")
CANDOR_SIGNING_KEYS_DIR = Path(env_str("CANDOR_SIGNING_KEYS_DIR", str(VAR_DIR / "signing")))
CANDOR_SIGNING_DEV_KEY = env_bool("CANDOR_SIGNING_DEV_KEY", not PRODUCTION)
# Staff are alerted when a target has been behind the site for this many seconds.
CANDOR_PUBLISH_STALE_AFTER = env_int("CANDOR_PUBLISH_STALE_AFTER", 120, minimum=1)
# A worker that has not said it is alive for this long is taken for gone: public changes
# are then published by the web process itself (publish/trigger.py).
CANDOR_WORKER_HEARTBEAT_TTL = env_int("CANDOR_WORKER_HEARTBEAT_TTL", 30, minimum=2)
# Update cadence and reminders (README, "Update cadence").
# A reminder goes out this long before an update is due.
CANDOR_REMINDER_LEAD_SECONDS = env_int("CANDOR_REMINDER_LEAD_SECONDS", 300, minimum=0)
# An overdue update escalates to the first contact on the escalation list at once, then to
# the next every this many seconds while it stays overdue.
CANDOR_ESCALATION_STEP_SECONDS = env_int("CANDOR_ESCALATION_STEP_SECONDS", 900, minimum=60)
# A claimed reminder still unsent this long after its claim lost its task (a broker restart,
# a killed worker): the next sweep queues it again.
CANDOR_REMINDER_REQUEUE_SECONDS = env_int("CANDOR_REMINDER_REQUEUE_SECONDS", 60, minimum=1)
# A maintenance window not completed this long after its scheduled end has overrun.

# -- Notifications (README, "Notifications") --------------------------------------------
# Email: SMTP by default (any provider's SMTP relay works); EMAIL_BACKEND may name another
# Django backend, such as an anymail one. The fallback backend takes over while the
# primary's circuit is open (notify/limits.py); empty means wait for the primary.
EMAIL_BACKEND = env_str("CANDOR_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("CANDOR_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("CANDOR_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("CANDOR_SMTP_USER")
EMAIL_HOST_PASSWORD = env_secret("CANDOR_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("CANDOR_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("CANDOR_SMTP_TLS", False)
# A provider that hangs must cost a batch seconds, not the task's whole time limit.
EMAIL_TIMEOUT = env_int("CANDOR_SMTP_TIMEOUT", 10, minimum=1)
# Messages sent over one SMTP connection before the fan-out opens a new one: some
# providers close a connection after 100 messages (or refuse the 101st).
CANDOR_SMTP_MESSAGES_PER_CONNECTION = env_int("CANDOR_SMTP_MESSAGES_PER_CONNECTION", 100, minimum=1)
# Connections each fan-out task sends email over at the same time (notify/transports/
# lanes.py): a provider across the internet answers each SMTP step after a round trip, so
# one connection sends about a dozen messages a second at 20 ms. A killed worker may repeat
# up to this many messages (same Message-ID); 1 sends one at a time.
CANDOR_EMAIL_CONNECTIONS = env_int("CANDOR_EMAIL_CONNECTIONS", 4, minimum=1)
DEFAULT_FROM_EMAIL = env_str("CANDOR_EMAIL_FROM", "status@localhost")
# A provider's HTTP API through django-anymail: CANDOR_EMAIL_BACKEND=
# anymail.backends.postmark.EmailBackend and ANYMAIL_POSTMARK_SERVER_TOKEN(_FILE)=...
# (every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], as anymail documents them).
ANYMAIL = env_prefixed("ANYMAIL_")
# The notification channels, by dotted path (incidents/notify/channels/, CONTRIBUTING.md).
CANDOR_CHANNELS = [
    "incidents.notify.channels.email.EmailChannel",
    "incidents.notify.channels.sms.SmsChannel",
    "incidents.notify.channels.webhook.WebhookChannel",
    # Chat webhooks: on by default, as they need no credentials of ours (README).
    "incidents.notify.channels.slack.SlackChannel",
    "incidents.notify.channels.teams.TeamsChannel",
    "incidents.notify.channels.google_chat.GoogleChatChannel",
    "incidents.notify.channels.discord.DiscordChannel",
]
CANDOR_EMAIL_FALLBACK_BACKEND = env_str("CANDOR_EMAIL_FALLBACK_BACKEND")
CANDOR_EMAIL_FALLBACK_OPTIONS = {
    "host": env_str("CANDOR_FALLBACK_SMTP_HOST", "localhost"),
    "port": env_int("CANDOR_FALLBACK_SMTP_PORT", 25, minimum=1),
    "username": env_str("CANDOR_FALLBACK_SMTP_USER"),
    "password": env_secret("CANDOR_FALLBACK_SMTP_PASSWORD"),
    "use_tls": env_bool("CANDOR_FALLBACK_SMTP_STARTTLS", False),
    "timeout": EMAIL_TIMEOUT,
}
# The mailbox of RFC 8058's mailto: unsubscribe; empty leaves only the one-click link.
CANDOR_UNSUBSCRIBE_MAILTO = env_str("CANDOR_UNSUBSCRIBE_MAILTO")

# SMS through Twilio (subscriber notifications, and staff reminders). Subscriber SMS is
# on when the account and a Messaging Service are set; reminders also accept one "from"
# number. Without them, reminders record that SMS was skipped and SMS deliveries wait.
CANDOR_TWILIO_ACCOUNT_SID = env_str("CANDOR_TWILIO_ACCOUNT_SID")
CANDOR_TWILIO_AUTH_TOKEN = env_secret("CANDOR_TWILIO_AUTH_TOKEN")
CANDOR_TWILIO_MESSAGING_SERVICE_SID = env_str("CANDOR_TWILIO_MESSAGING_SERVICE_SID")
CANDOR_TWILIO_FROM_NUMBER = env_str("CANDOR_TWILIO_FROM_NUMBER")
# Another API base URL (a regional edge, or a local stand-in in tests and benchmarks);
# empty: api.twilio.com.
CANDOR_TWILIO_API_URL = env_str("CANDOR_TWILIO_API_URL").rstrip("/")
CANDOR_TWILIO_API_BASE = CANDOR_TWILIO_API_URL or "https://api.twilio.com"
CANDOR_SMS_ENABLED = bool(
    CANDOR_TWILIO_ACCOUNT_SID and CANDOR_TWILIO_AUTH_TOKEN and CANDOR_TWILIO_MESSAGING_SERVICE_SID
)
# ISO country codes SMS subscriptions may come from: SMS pumping fraud sends confirmation
# codes to premium numbers in countries you have no customers in.
CANDOR_SMS_COUNTRIES = env_list("CANDOR_SMS_COUNTRIES", ["US", "CA", "GB"])
# The send forecast (notify/costs/): price per SMS segment by ISO country ("*" for any
# other), in CANDOR_SMS_CURRENCY. The defaults are examples near Twilio's list prices at
# the time of writing: set your contract's.
CANDOR_SMS_PRICES = env_prices("CANDOR_SMS_PRICES", {"US": "0.0083", "CA": "0.0083", "GB": "0.04"})
CANDOR_SMS_CURRENCY = env_str("CANDOR_SMS_CURRENCY", "USD")
# Twilio sends segments at a rate set by the sender: a short code ~100 per second, a
# toll-free number 3, a long code 1 (Twilio's "Understanding Twilio Rate Limits and Message
# Queues"), times the senders in the Messaging Service's pool. CANDOR_SMS_MPS, when set,
# replaces the table (a US 10DLC campaign's own figure, say).
CANDOR_SMS_SENDER_TYPE = env_choice(
    "CANDOR_SMS_SENDER_TYPE", ("short_code", "toll_free", "long_code"), "long_code"
)
CANDOR_SMS_SENDER_MPS = {"short_code": 100, "toll_free": 3, "long_code": 1}
CANDOR_SMS_SENDERS = env_int("CANDOR_SMS_SENDERS", 1, minimum=1)
CANDOR_SMS_MPS = env_int("CANDOR_SMS_MPS", 0, minimum=0)

# Webhooks: user-supplied URLs never reach private, loopback or link-local addresses
# unless this is on (tests and a closed network only).
CANDOR_WEBHOOK_ALLOW_PRIVATE = env_bool("CANDOR_WEBHOOK_ALLOW_PRIVATE", False)
CANDOR_WEBHOOK_TIMEOUT = env_int("CANDOR_WEBHOOK_TIMEOUT", 5, minimum=1)
# Chat webhooks (Slack, Teams, Google Chat, Discord) go only to each provider's own https
# hosts; these hosts ("name" or "name:port") are accepted as well, over http too, for
# tests and local receivers (notify/chat/hosts.py).
CANDOR_CHAT_EXTRA_HOSTS = env_list("CANDOR_CHAT_EXTRA_HOSTS", [])

# Vendor polling (docs/design.md, "Vendors"): the same SSRF rule as webhooks, its own
# switch; seconds per fetch (connect, each read, and the whole body); the largest
# document read; the longest backoff after failures; fetches in flight at once.
CANDOR_VENDOR_ALLOW_PRIVATE = env_bool("CANDOR_VENDOR_ALLOW_PRIVATE", False)
CANDOR_VENDOR_TIMEOUT = env_int("CANDOR_VENDOR_TIMEOUT", 10, minimum=1)
CANDOR_VENDOR_MAX_BYTES = env_int("CANDOR_VENDOR_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
CANDOR_VENDOR_BACKOFF_MAX = env_int("CANDOR_VENDOR_BACKOFF_MAX", 3600, minimum=60)
CANDOR_VENDOR_PARALLEL = env_int("CANDOR_VENDOR_PARALLEL", 8, minimum=1)

# Importing a Statuspage page (docs/design.md, "Importing from Statuspage"): the same SSRF
# rule as webhooks, its own switch (tests and a closed network only); seconds per request;
# the largest answer read; retries of a rate-limited or failing request, and the longest
# wait between two (Statuspage's Retry-After is honoured up to this).
CANDOR_IMPORT_ALLOW_PRIVATE = env_bool("CANDOR_IMPORT_ALLOW_PRIVATE", False)
CANDOR_IMPORT_TIMEOUT = env_int("CANDOR_IMPORT_TIMEOUT", 30, minimum=1)
CANDOR_IMPORT_MAX_BYTES = env_int("CANDOR_IMPORT_MAX_BYTES", 32 * 1024 * 1024, minimum=1024)
CANDOR_IMPORT_RETRIES = env_int("CANDOR_IMPORT_RETRIES", 6, minimum=0)
CANDOR_IMPORT_MAX_WAIT = env_int("CANDOR_IMPORT_MAX_WAIT", 120, minimum=1)

# Fan-out (docs/design.md, "Notifications").
# Deliveries claimed at once, at most one second of the provider's rate (SMS 100, webhooks
# 200 by default); an SMTP connection carries at most CANDOR_SMTP_MESSAGES_PER_CONNECTION
# of them, however large the batch. 500: a batch's fixed costs (claim, marks' commit,
# connections) spread over more messages (bench/README.md, "Fan-out").
CANDOR_NOTIFY_BATCH = env_int("CANDOR_NOTIFY_BATCH", 500, minimum=1)
# Messages per second each provider accepts from us, across every worker.
CANDOR_NOTIFY_RATE = {
    "email": env_int("CANDOR_NOTIFY_RATE_EMAIL", 1000, minimum=1),
    "sms": env_int("CANDOR_NOTIFY_RATE_SMS", 100, minimum=1),
    "webhook": env_int("CANDOR_NOTIFY_RATE_WEBHOOK", 200, minimum=1),
    # Each chat provider limits each webhook (Slack and Google Chat: about one a second);
    # these are our total across all webhooks of one provider.
    "slack": env_int("CANDOR_NOTIFY_RATE_SLACK", 50, minimum=1),
    "teams": env_int("CANDOR_NOTIFY_RATE_TEAMS", 50, minimum=1),
    "google_chat": env_int("CANDOR_NOTIFY_RATE_GOOGLE_CHAT", 50, minimum=1),
    "discord": env_int("CANDOR_NOTIFY_RATE_DISCORD", 30, minimum=1),
}
CANDOR_NOTIFY_MAX_ATTEMPTS = env_int("CANDOR_NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
CANDOR_NOTIFY_BACKOFF = env_int("CANDOR_NOTIFY_BACKOFF", 30, minimum=1)  # seconds, doubled
CANDOR_NOTIFY_BACKOFF_MAX = env_int("CANDOR_NOTIFY_BACKOFF_MAX", 3600, minimum=1)
# Consecutive transient failures that open a provider's circuit, and for how long.
CANDOR_NOTIFY_CIRCUIT_FAILURES = env_int("CANDOR_NOTIFY_CIRCUIT_FAILURES", 5, minimum=1)
CANDOR_NOTIFY_CIRCUIT_OPEN = env_int("CANDOR_NOTIFY_CIRCUIT_OPEN", 60, minimum=1)
# A delivery claimed this long ago and still not marked belongs to a worker that died.
CANDOR_NOTIFY_LEASE = env_int("CANDOR_NOTIFY_LEASE", 300, minimum=1)
# Fan-out tasks started per channel when an update is published (one per worker process).
CANDOR_NOTIFY_PARALLEL = env_int("CANDOR_NOTIFY_PARALLEL", 2, minimum=1)
# Subscribing: how often one IP, one destination and one country prefix may ask (per
# hour), and how long before a confirmation may be sent again to the same destination.
CANDOR_SUBSCRIBE_PER_IP = env_int("CANDOR_SUBSCRIBE_PER_IP", 10, minimum=1)
CANDOR_SUBSCRIBE_PER_DESTINATION = env_int("CANDOR_SUBSCRIBE_PER_DESTINATION", 3, minimum=1)
CANDOR_SUBSCRIBE_PER_PREFIX = env_int("CANDOR_SUBSCRIBE_PER_PREFIX", 100, minimum=1)
# SMS: per block of 10,000 numbers (E.164 less its last four digits), against pumping.
CANDOR_SUBSCRIBE_PER_NUMBER_BLOCK = env_int("CANDOR_SUBSCRIBE_PER_NUMBER_BLOCK", 5, minimum=1)
CANDOR_CONFIRMATION_COOLDOWN = env_int("CANDOR_CONFIRMATION_COOLDOWN", 600, minimum=1)
CANDOR_CONFIRMATION_TTL = env_int("CANDOR_CONFIRMATION_TTL", 86400, minimum=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CANDOR_LOG_LEVEL", "INFO")},
}
