"""JSON structured logs with correlation ids bound from context."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, service: str, level: str = "INFO") -> None:
    """Send every log line (ours and libraries') to stdout as one JSON object."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own plain-text handlers; route its records through ours.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # No access log: its lines carry whole query strings (a WebSocket's visitor token)
    # and cost a twentieth of an ingest request. uvicorn writes it only to a logger
    # with handlers, so one without handlers or propagation is skipped, not filtered.
    # Requests are counted and timed by RequestContext instead.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    # aiokafka logs every rebalance step and aiosmtpd every SMTP command (addresses
    # included) at INFO; keep their warnings.
    for name in ("aiokafka", "mail.log"):
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structured logger."""
    return structlog.stdlib.get_logger(name)


bind_context = structlog.contextvars.bound_contextvars
