"""Logging, metrics and alerts: the user guide's rotated log files (keys masked), counters, webhooks."""

from __future__ import annotations

from typing import Any

from argus_site.settings.topology import ARGUS_LOG_DIR, cfg

ARGUS_LOG_LEVEL = cfg.text("ARGUS_LOG_LEVEL", "INFO").upper()
ARGUS_LOG_MAX_BYTES = cfg.integer("ARGUS_LOG_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
ARGUS_LOG_BACKUPS = cfg.integer("ARGUS_LOG_BACKUPS", 5, minimum=0)
# The user guide's log files and the loggers each collects (ARGUS_LOG_DIR=- logs to the console only).
ARGUS_LOG_FILES = {
    "argus_mcp.log": ["argus", "argus_mcp", "django", "celery"],
    "cache_optimizer.log": ["argus.cache", "argus_mcp.cache_optimizer"],
    "connection_pool.log": ["argus.pools"],
    "market_data.log": ["argus.marketdata", "argus.feed", "argus.ws", "argus.stream"],
}


# Celery's per-task lines (beat's "Sending due task", the worker's "Task ... received" and
# "... succeeded") are three lines per 3-second feed poll, ~86k a day: kept below WARNING unless
# ARGUS_LOG_LEVEL=DEBUG. The feed logs its own state changes instead (streaming/services/feed.py).
CELERY_CHATTY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def _logging() -> dict[str, Any]:
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "monitoring.logfilters.RedactSecretsFilter"}},
        # logging.Formatter, with asctime's date part rendered once a second (core/logqueue.py).
        "formatters": {
            "plain": {
                "class": "core.logqueue.TimeCachedFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
        "root": {"handlers": ["console"], "level": ARGUS_LOG_LEVEL},
        "loggers": {},
    }
    if ARGUS_LOG_LEVEL != "DEBUG":
        for name in CELERY_CHATTY_LOGGERS:
            config["loggers"][name] = {"level": "WARNING"}
    if str(ARGUS_LOG_DIR) == "-":
        return config
    for file, loggers in ARGUS_LOG_FILES.items():
        config["handlers"][file] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(ARGUS_LOG_DIR / file),
            "maxBytes": ARGUS_LOG_MAX_BYTES,
            "backupCount": ARGUS_LOG_BACKUPS,
            "encoding": "utf-8",
            "delay": True,  # the directory is made by argus_site/bootstrap.py
            "formatter": "plain",
            "filters": ["redact"],
        }
        for name in loggers:
            config["loggers"].setdefault(name, {"handlers": [], "level": ARGUS_LOG_LEVEL})["handlers"].append(file)
    return config


LOGGING = _logging()
# The same config, with records emitted in the event loop written by a background thread (the
# access log's lines among them), so no log write blocks the loop (core/logqueue.py).
LOGGING_CONFIG = "core.logqueue.configure"

# Metrics: in-process counters flushed to Redis (or process memory) every interval; rates over the
# window (internal tuning, seconds).
ARGUS_METRICS_FLUSH_INTERVAL = 1.0
ARGUS_METRICS_WINDOW = 60
# The console's own page and its 5-second refreshes are not API traffic.
ARGUS_METRICS_EXCLUDE = ("/health", "/metrics", "/static/", "/console/")

ARGUS_ALERT_WEBHOOK_URL = cfg.text("ARGUS_ALERT_WEBHOOK_URL")
ARGUS_ALERT_WEBHOOK_TIMEOUT = cfg.number("ARGUS_ALERT_WEBHOOK_TIMEOUT", 5.0, minimum=0.1)
