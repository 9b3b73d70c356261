"""The one settings module. Every value that differs between machines comes from an environment
variable; a bad value stops the process with a message that names the variable.

`PLATFORM_ENV=production` turns on the production checks: a real SECRET_KEY, DEBUG off, explicit
ALLOWED_HOSTS and secure cookies. The default, `development`, is what `make run` uses: SQLite in
var/, a broker that needs no server, the console e-mail backend.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEFAULT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PLATFORM_ENV = env_str("PLATFORM_ENV", "development")
if PLATFORM_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"PLATFORM_ENV: expected 'development' or 'production', got {PLATFORM_ENV!r}"
    )
PRODUCTION = PLATFORM_ENV == "production"

SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)

if PRODUCTION:
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY: production needs a random secret of at least 50 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG: must be off in production (DEBUG=false)")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS: production needs the site's host names")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_ratelimit",
    "accounts",
    "core",
    "courses",
    "assessments",
    "labs",
    "grading",
    "seeds",
    "exams",
    "study",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view is private unless it is declared public (accounts.access.public).
    "accounts.middleware.PrivateByDefaultMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a throttled request (accounts/throttling.py) into the RATELIMIT_VIEW page.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------------
def database_from_env() -> dict:
    import dj_database_url

    url = os.environ.get("DATABASE_URL")
    if url is None:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    try:
        scheme = urlsplit(url).scheme
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL: cannot parse {url!r}: {error}") from None
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {scheme!r} in {url!r}; use "
            "postgres://USER@HOST:PORT/NAME or sqlite:///PATH"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL: cannot parse {url!r}: {error}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL: no database name in {url!r}")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several processes (web and worker) share the file: wait for locks instead of failing.
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
        config["CONN_MAX_AGE"] = 0
    else:
        options = config.setdefault("OPTIONS", {})
        options["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
        # Parameters bound by the server, so that a query run again on the same connection is
        # prepared (psycopg, after DATABASE_PREPARE_THRESHOLD runs) and not planned each time:
        # planning cost more than running most of the site's queries. A pooler in
        # transaction mode (PgBouncer without prepared-statement support) needs it off: 0.
        prepare_threshold = env_int("DATABASE_PREPARE_THRESHOLD", 5)
        if prepare_threshold < 0:
            raise ImproperlyConfigured(
                f"DATABASE_PREPARE_THRESHOLD: expected 0 (off) or more, got {prepare_threshold}"
            )
        options["server_side_binding"] = True
        options["prepare_threshold"] = prepare_threshold or None
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# ModelBackend, loading the user's roles with the user (one query per request, not two).
AUTHENTICATION_BACKENDS = ["accounts.backends.RoleLoadingBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Cache and throttling -------------------------------------------------------------------
# Log-in, sign-up and password reset are throttled (accounts/throttling.py) with counters in the
# default cache, which must be shared by every web process: Redis in production (CACHE_URL).
# The embedded start (`make run`, one machine, no server) keeps them in files under var/;
# its increments are not atomic, so a burst may slip a few requests past a limit there.
CACHE_URL = os.environ.get("CACHE_URL", "")
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit lists only django-redis as supported; Django's own RedisCache also
    # increments atomically (INCRBY), which is all it needs.
    "django_ratelimit.W001",
]
if CACHE_URL:
    if urlsplit(CACHE_URL).scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"CACHE_URL: expected redis://HOST:PORT/DB, got {CACHE_URL!r}")
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif PRODUCTION:
    raise ImproperlyConfigured(
        "CACHE_URL: production needs a shared cache for throttling (redis://HOST:6379/1)"
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")  # not atomic: see above
# Each web process's own copy of course content that is the same for every visitor and may be
# a minute old (courses.queries.CONTENT_CACHE: headings, the syllabus, search rankings, a deck's
# items): the hot pages read it on every request, and a round trip to Redis cost more than the
# copy. Nothing is ever deleted from it by hand, so a shared cache would be no fresher.
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}
RATELIMIT_VIEW = "accounts.views.too_many_attempts"
# Sessions are read on every signed-in request: from the cache, written through to the
# database (a cache flush or restart signs nobody out).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Behind a reverse proxy: a header that holds only the client's address, e.g. HTTP_X_REAL_IP.
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")
THROTTLE_RATES = {
    "login_per_address": env_str("THROTTLE_LOGIN_PER_ADDRESS", "30/10m"),
    "login_per_account": env_str("THROTTLE_LOGIN_PER_ACCOUNT", "5/5m"),
    "signup_per_address": env_str("THROTTLE_SIGNUP_PER_ADDRESS", "10/h"),
    "password_reset_per_address": env_str("THROTTLE_PASSWORD_RESET_PER_ADDRESS", "10/h"),
    "password_reset_per_account": env_str("THROTTLE_PASSWORD_RESET_PER_ACCOUNT", "3/h"),
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
if not PRODUCTION:
    # WhiteNoise serves from the finders in development but warns when the root is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- Celery ---------------------------------------------------------------------------------
# Without a broker URL the platform uses kombu's filesystem transport: web and worker on one
# machine exchange messages through files in var/broker, so `make run` needs no server.
BROKER_SCHEMES = {"redis", "rediss", "filesystem"}
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
try:
    _broker_scheme = urlsplit(CELERY_BROKER_URL).scheme
except ValueError:
    _broker_scheme = "?"
if _broker_scheme not in BROKER_SCHEMES:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL: unsupported scheme {_broker_scheme!r} in {CELERY_BROKER_URL!r}; "
        "use redis://HOST:PORT/DB, or leave it unset for the embedded filesystem broker"
    )
if _broker_scheme == "filesystem":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "messages"),
        "data_folder_out": str(BROKER_DIR / "messages"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A job must come back if a worker dies without acknowledging it; one hour is far above
    # any lab's wall limit, so a long job is never delivered twice while it still runs.
    # "priority": a worker reads its queues in the order it lists them (exam, practice,
    # regrade; see grading/queues.py), where kombu's default, round-robin, would take turns.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "queue_order_strategy": "priority",
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Results travel through the database (Submission rows), not a result backend; tests and
# operators may still set one to wait on a task.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The practice queue of each lab device; grading.queues.lab_queue derives the exam and
# regrade tiers from them (labs.cpu.exam, labs.cpu, labs.cpu.regrade) and routes every job.
LAB_QUEUES = {"cpu": "labs.cpu", "gpu": "labs.gpu"}

# --- Grading --------------------------------------------------------------------------------
# The device this worker's jobs get: "cuda" on GPU nodes (docker-compose's worker-gpu).
GRADING_DEVICE = env_str("GRADING_DEVICE", "cpu")
if GRADING_DEVICE not in {"cpu", "cuda"}:
    raise ImproperlyConfigured(f"GRADING_DEVICE: expected 'cpu' or 'cuda', got {GRADING_DEVICE!r}")
# How often a GPU worker tells the web it is online (grading/queues.py: GPU labs go to the GPU
# queues only while one is); the web takes it for gone after three beats without one.
GRADING_GPU_HEARTBEAT_S = env_int("GRADING_GPU_HEARTBEAT_S", 10)
DATASET_DIR = Path(env_str("DATASET_DIR", str(VAR_DIR / "datasets")))
SANDBOX_TMP_DIR = Path(env_str("SANDBOX_TMP_DIR", "/tmp/platform-sandbox"))  # noqa: S108
# Without a cgroup the sandbox refuses to grade (a job's memfd and tmpfs pages would escape its
# memory limit, short-lived processes its CPU limit). A development machine without cgroups may
# allow the weaker per-uid fallback; `make run` turns this on by itself only there. Never in
# production.
SANDBOX_ALLOW_NO_CGROUP = env_bool("SANDBOX_ALLOW_NO_CGROUP", False)
if PRODUCTION and SANDBOX_ALLOW_NO_CGROUP:
    raise ImproperlyConfigured(
        "SANDBOX_ALLOW_NO_CGROUP: must be off in production (grading needs a cgroup per job)"
    )
# A CUDA job's GPU memory is capped by its supervisor through NVML (grading/sandbox/gpuwatch.py);
# where NVML cannot be used the sandbox refuses to grade CUDA jobs rather than run them uncapped.
# A development GPU machine without NVML may allow them; never in production.
SANDBOX_ALLOW_NO_GPU_WATCHDOG = env_bool("SANDBOX_ALLOW_NO_GPU_WATCHDOG", False)
if PRODUCTION and SANDBOX_ALLOW_NO_GPU_WATCHDOG:
    raise ImproperlyConfigured(
        "SANDBOX_ALLOW_NO_GPU_WATCHDOG: must be off in production (CUDA jobs need the GPU "
        "memory watchdog)"
    )
SEED_DATA_DIR = BASE_DIR / "seeds" / "data"
# Lab environments: what a lab's job finds already imported (lab.toml's ``environment``,
# "torch" when absent). Each is served by a warm interpreter of its own in every worker pool
# process (grading/sandbox/zygote.py: default_zygote), which imports these modules once
# before it forks jobs; bench/environments.py measured the alternatives (one interpreter
# preloading both, a queue per environment). Every package of every environment is installed
# in the worker's virtualenv (pyproject.toml's `worker` and `mle` extras), so a job may still
# import any of them itself; it only pays the import then.
LAB_ENVIRONMENTS = {
    "torch": ["numpy", "torch", "onnx", "onnxruntime", "torchvision"],
    "mle": [
        "numpy", "scipy", "pandas", "joblib", "sklearn", "sklearn.pipeline", "sklearn.compose",
        "sklearn.preprocessing", "sklearn.linear_model", "sklearn.ensemble",
        "sklearn.model_selection", "sklearn.metrics", "sklearn.impute", "lightgbm", "xgboost",
        "shap", "onnx", "onnxruntime", "skl2onnx", "onnxmltools", "flask", "flask.testing",
    ],
}  # fmt: skip
# The environments whose warm interpreter each worker pool process starts as it comes up (the
# others start on their first job): all of them unless told otherwise; docker-compose's GPU
# worker, which gets torch labs only, names "torch".
GRADING_WARM_ENVIRONMENTS = env_list("GRADING_WARM_ENVIRONMENTS", list(LAB_ENVIRONMENTS))
if set(GRADING_WARM_ENVIRONMENTS) - set(LAB_ENVIRONMENTS):
    raise ImproperlyConfigured(
        f"GRADING_WARM_ENVIRONMENTS: expected names of {sorted(LAB_ENVIRONMENTS)}, "
        f"got {GRADING_WARM_ENVIRONMENTS}"
    )
# The lab catalogue (labs/catalog.py); another folder only for tests' workers and for trying
# a catalogue change on a staging worker.
LAB_CATALOG_DIR = Path(env_str("LAB_CATALOG_DIR", str(BASE_DIR / "labs" / "catalog")))

# Per learner: jobs waiting or running at once, and submissions per window.
GRADING_MAX_ACTIVE_PER_LEARNER = env_int("GRADING_MAX_ACTIVE_PER_LEARNER", 3)
GRADING_MAX_PER_WINDOW = env_int("GRADING_MAX_PER_WINDOW", 20)
GRADING_RATE_WINDOW_S = env_int("GRADING_RATE_WINDOW_S", 600)
# A grading job runs at most this many times (claims by a worker); when a failure of the
# worker's side (sandbox, a dead worker, a lost message) has used them all, the job ends as an
# internal error. A job given back is sent again after GRADING_RETRY_DELAY_S; one that no
# worker took within GRADING_QUEUE_EXPIRY_S ends as an error too.
GRADING_MAX_ATTEMPTS = env_int("GRADING_MAX_ATTEMPTS", 3)
GRADING_RETRY_DELAY_S = env_int("GRADING_RETRY_DELAY_S", 15)
GRADING_QUEUE_EXPIRY_S = env_int("GRADING_QUEUE_EXPIRY_S", 6 * 3600)
if GRADING_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("GRADING_MAX_ATTEMPTS: expected at least 1")
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {"task": "grading.sweep_stuck_jobs", "schedule": 60.0},
    # Abandoned timed attempts close at their deadline even if nobody opens them again.
    "close-expired-attempts": {
        "task": "assessments.tasks.close_expired_attempts",
        "schedule": 30.0,
    },
    "close-expired-exam-sessions": {"task": "exams.close_expired_sessions", "schedule": 30.0},
}

# --- E-mail (password reset) ----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@localhost")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie: the token travels in hx-headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list(
        "CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS]
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
