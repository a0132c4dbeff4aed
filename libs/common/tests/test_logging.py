"""What the logging setup lets through: no access log, no library chatter at INFO."""

from __future__ import annotations

import logging

import pytest

from cc_common.logging import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "mail.log")
    saved = {
        name: (
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).propagate,
            logging.getLogger(name).level,
        )
        for name in names
    }
    yield None
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


def test_uvicorn_access_log_has_nowhere_to_go() -> None:
    # uvicorn's own --no-access-log setup, which configure_logging runs after.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    configure_logging(service="test", level="INFO")
    # uvicorn decides per connection with hasHandlers(): False means no line is built.
    assert not logging.getLogger("uvicorn.access").hasHandlers()
    assert logging.getLogger("uvicorn.error").hasHandlers()


def test_library_info_lines_are_dropped_but_warnings_kept() -> None:
    configure_logging(service="test", level="INFO")
    for name in ("mail.log", "aiokafka"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO)
        assert logger.isEnabledFor(logging.WARNING)
    assert logging.getLogger("cc_common").isEnabledFor(logging.INFO)
