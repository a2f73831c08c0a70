"""Settings: configured only by environment variables (STYLE.md "Settings").

With DEBUG off, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL must be given: a
half-configured production stops at start-up instead of running with defaults.
Without DATABASE_URL (development, tests) the project's own private PostGIS cluster
is used (portal/devdb.py).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from portal import devdb
from portal.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

_database_url = env_secret("DATABASE_URL")
# Development by default only on the checkout's own private database (made by `make
# setup`), so `.venv/bin/python manage.py ...` works there with no extra settings. A
# deployment names its DATABASE_URL and so starts with DEBUG off unless told otherwise.
DEBUG = env_bool("DEBUG", default=_database_url is None and devdb.STATE_DIR.is_dir())

if DEBUG:
    SECRET_KEY = env_secret("SECRET_KEY") or "insecure-development-key-debug-only"
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    _missing = [
        name
        for name, value in (
            ("SECRET_KEY", env_secret("SECRET_KEY")),
            ("ALLOWED_HOSTS", env_str("ALLOWED_HOSTS")),
            ("DATABASE_URL", _database_url),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(
            "DEBUG is off, so these must be set: "
            + ", ".join(_missing)
            + ". For development set DEBUG=1 (the Makefile does)."
        )
    SECRET_KEY = env_secret("SECRET_KEY") or ""
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])


def _database_from_url(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "postgis"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or postgresql://, not {parts.scheme}://"
        )
    options: dict[str, object] = {}
    # Web processes stop any one statement after DB_STATEMENT_TIMEOUT_MS (portal/wsgi.py
    # sets 15 s): a runaway query becomes a readable 503, not a stuck worker. Commands and
    # the background worker (ingest, protection, tile warming) have no limit by default.
    timeout_ms = env_int("DB_STATEMENT_TIMEOUT_MS", 0)
    if timeout_ms:
        options["options"] = f"-c statement_timeout={timeout_ms}"
    # DB_POOL_MAX > 0: a psycopg connection pool per process (for threaded servers);
    # otherwise each process keeps its connection for DB_CONN_MAX_AGE seconds, which for
    # gunicorn's one-request-at-a-time workers is a pool of one.
    pool_max = env_int("DB_POOL_MAX", 0)
    if pool_max:
        options["pool"] = {"min_size": 1, "max_size": pool_max, "timeout": 10}
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parts.path.lstrip("/")) or "commonground",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0 if pool_max else env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": not pool_max,
        "OPTIONS": options,
    }


DATABASES = {"default": _database_from_url(_database_url or devdb.dsn())}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "layers",
    "ingest",
    "portal",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so static files carry the headers too.
    "portal.security.SecurityHeadersMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "portal.middleware.StatementTimeoutMiddleware",
    # CORS answers a preflight before anything asks who the caller is.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A NUL byte in the address: a readable 400, never a 500 from PostgreSQL.
    "portal.middleware.NulCharacterMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    # request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context.navigation",
            ],
        },
    },
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from the npm registry (package.json) and are served from
# node_modules under a fixed prefix: nothing is copied into the repository.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/maplibre-gl", BASE_DIR / "node_modules" / "maplibre-gl" / "dist"),
    ("vendor/colorbrewer", BASE_DIR / "node_modules" / "colorbrewer"),
    ("vendor/swagger-ui-dist", BASE_DIR / "node_modules" / "swagger-ui-dist"),
    # Leaflet for the interactive map inside HTML profile exports (inlined into the file).
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "map"
LOGOUT_REDIRECT_URL = "login"
# Sign-in lock-out: this many failures for one account name within the window locks it.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Two-factor sign-in (TOTP, django-otp): required for information managers, data
# stewards and staff (the admin), optional for everyone else (portal/pages/twofactor.py).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER") or "Common Ground"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a user's TOTP secret

# A session ends after this long without a request, and in any case this long after
# sign-in (portal.middleware.SessionTimeoutMiddleware). A password change ends every other
# session of the user (Django's session auth hash), keeping only the one that changed it.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_MAX_AGE = env_int("SESSION_MAX_AGE", 8 * 3600)
SESSION_COOKIE_AGE = SESSION_MAX_AGE
SESSION_COOKIE_HTTPONLY = True
MEDIA_ROOT = BASE_DIR / "var" / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Debian 12 ships GDAL 3.6; the check asks for 3.9 (STACK.md pitfall 4). We never pass
# untrusted SRS or WKT strings to GDAL.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Boundary tiles: served from pre-simplified copies; a versioned URL may be cached for long.
TILE_MAX_AGE = env_int("TILE_MAX_AGE", 365 * 24 * 3600)
TILE_UNVERSIONED_MAX_AGE = env_int("TILE_UNVERSIONED_MAX_AGE", 300)
# Rendered boundary tiles are kept on disk by level, boundary version and z/x/y
# (layers.tilecache); TILE_CACHE_DIR=off turns the cache off. After a boundary load the
# background worker warms zooms TILE_WARM_MIN_ZOOM..TILE_WARM_MAX_ZOOM of the level (by
# default only where a real worker runs: with REDIS_URL set).
_tile_cache = env_str("TILE_CACHE_DIR")
TILE_CACHE_DIR = "" if _tile_cache == "off" else (_tile_cache or str(BASE_DIR / "var" / "tiles"))
TILE_WARM_ON_LOAD = env_bool("TILE_WARM_ON_LOAD", default=bool(env_str("REDIS_URL")))
# Protected tables (the released cells per release, indicator, period and policy) are
# computed by the worker as soon as a release is published or an agreement's terms change,
# so no read waits for disclosure control (on by default only where a worker runs).
PROTECT_ON_PUBLISH = env_bool("PROTECT_ON_PUBLISH", default=bool(env_str("REDIS_URL")))
TILE_WARM_MIN_ZOOM = env_int("TILE_WARM_MIN_ZOOM", 6)
TILE_WARM_MAX_ZOOM = env_int("TILE_WARM_MAX_ZOOM", 12)

# Signed agreement documents: outside the web root, served only by the checked download view.
DOCUMENT_STORE = Path(env_str("DOCUMENT_STORE") or BASE_DIR / "var" / "documents")
AGREEMENT_DOCUMENT_MAX_BYTES = env_int("AGREEMENT_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)

# The map draws no base map unless one is configured: an XYZ raster tile URL template
# (https://tiles.example/{z}/{x}/{y}.png) and its attribution. It is then an option on the
# page, off by default; MapLibre fetches the tiles, so list that origin in CSP_CONNECT_SRC.
MAP_BASEMAP_TILES = env_str("MAP_BASEMAP_TILES", "")
MAP_BASEMAP_ATTRIBUTION = env_str("MAP_BASEMAP_ATTRIBUTION", "")

# Where uploaded and loaded files are kept (content-addressed by sha256).
FILE_STORE = Path(env_str("FILE_STORE") or BASE_DIR / "var" / "files")
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", 500 * 1024 * 1024)
# A zip (spreadsheet, zipped Shapefile) that would unpack to more than this is refused.
INGEST_MAX_UNZIPPED_BYTES = env_int("INGEST_MAX_UNZIPPED_BYTES", 2 * 1024 * 1024 * 1024)
# A release still `validating` this long after its upload (and that no worker holds) was
# interrupted: sweep_releases, and each worker as it starts, mark it rejected.
INGEST_INTERRUPTED_AFTER_MINUTES = env_int("INGEST_INTERRUPTED_AFTER_MINUTES", 120)
# A value that moves by more than this factor from the previous release is a warning.
INGEST_CHANGE_FACTOR = env_int("INGEST_CHANGE_FACTOR", 10)

# One JSON object per line (LOG_FORMAT=json, the default with DEBUG off), each request
# logged once by portal.middleware with the request id its audit events carry.
LOG_FORMAT = env_str("LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "portal.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}

# Background work: Celery with Redis. Without REDIS_URL (development, tests) tasks run
# in-process, at once.
REDIS_URL = env_str("REDIS_URL") or ""
CELERY_BROKER_URL = env_str("REDIS_URL") or "memory://"
CELERY_RESULT_BACKEND = env_str("REDIS_URL") or None
CELERY_TASK_ALWAYS_EAGER = not env_str("REDIS_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL"),
    }
    if env_str("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
UPLOAD_TMP = Path(env_str("UPLOAD_TMP") or BASE_DIR / "var" / "incoming")
# Profiles of many areas at once (ZIPs made by the worker): kept outside the web root and
# handed only to the user who asked, for this many hours.
EXPORT_STORE = Path(env_str("EXPORT_STORE") or BASE_DIR / "var" / "exports")
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.v1.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.v1.errors.handle",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.v1.negotiation.FirstRenderer",
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_RATE", default="600/minute"),
        # The public API (api/v1/public.py), per address: no sign-in, so a lower rate.
        "public": env_str("PUBLIC_API_THROTTLE_RATE", default="120/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # How many proxies in front add to X-Forwarded-For: the throttles (the public API's
    # is per address) take the address the nearest one saw. 0: the socket's address, so
    # a client cannot name its own address and get a fresh allowance.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

# OpenAPI 3 at /api/v1/schema/, interactive docs at /api/v1/docs/ with Swagger UI from
# npm (node_modules/swagger-ui-dist through staticfiles): no CDN, works offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "Common Ground API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Indicator values on shared boundary geographies, released under data sharing "
        "agreements with small-area disclosure control. Authenticate with "
        "`Authorization: Token <token>` (python manage.py issue_token USERNAME). Withheld "
        "figures are `null` with marker `[c]`; areas with no data are `null` with `[x]`, "
        "never 0. Errors are application/problem+json."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": f"/{STATIC_URL.lstrip('/')}vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL.lstrip('/')}vendor/swagger-ui-dist/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    # Stable names for enums that several responses share, so a partner's generated
    # client does not get names like Access866Enum that change when an endpoint is added.
    "ENUM_NAME_OVERRIDES": {
        "AccessEnum": ["own_agency", "agreement", "public_agreement"],
        "PartnerAccessEnum": ["own_agency", "agreement"],
    },
}

# HTTP security headers (docs/security.md). Every script, style, image, font and worker
# comes from our own origin: the no-CDN rule (DESIGN.md "Map") is what makes this possible.
# MapLibre GL starts its tile workers from blob: URLs and draws sprites and glyphs from
# data:/blob: images; Swagger UI uses data: images in its stylesheet.
SECURE_CSP: dict[str, list[str] | bool] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", *env_list("CSP_CONNECT_SRC", [])],
    "worker-src": ["'self'", "blob:"],
    "child-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "upgrade-insecure-requests": not DEBUG,
}
PERMISSIONS_POLICY_DENY = ["camera", "microphone", "geolocation", "payment", "usb"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No page script reads the CSRF cookie: forms carry the token in a hidden field.
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "portal.pages.errors.csrf_failure"

# CORS: closed unless partner origins are named (https://partner.example.org,...). Only
# the API answers cross-origin, without cookies: partner systems send their token.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS", "POST")
CORS_EXPOSE_HEADERS = ("ETag", "X-Request-ID", "Retry-After")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    # TLS ends at the proxy, which redirects plain HTTP itself (deploy/nginx.conf).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
    if SESSION_COOKIE_SECURE:
        # __Host- cookies are only accepted over HTTPS, for this host, on path /.
        SESSION_COOKIE_NAME = "__Host-sessionid"
        CSRF_COOKIE_NAME = "__Host-csrftoken"
