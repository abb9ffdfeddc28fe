import logging

from solution import log_failed_login


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _logger(name):
    logger = logging.getLogger(name)
    logger.handlers[:] = []
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = _Collect()
    logger.addHandler(handler)
    return logger, handler


def test_message_and_level():
    logger, handler = _logger("auth.functional.basic")
    log_failed_login(logger, "alice", "203.0.113.9")
    assert len(handler.records) == 1
    record = handler.records[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Failed login for user 'alice' from 203.0.113.9"


def test_non_ascii_names_are_kept():
    logger, handler = _logger("auth.functional.unicode")
    log_failed_login(logger, "José Müller", "2001:db8::7")
    log_failed_login(logger, "山田太郎", "198.51.100.4")
    assert [r.getMessage() for r in handler.records] == [
        "Failed login for user 'José Müller' from 2001:db8::7",
        "Failed login for user '山田太郎' from 198.51.100.4",
    ]


def test_one_record_per_attempt():
    logger, handler = _logger("auth.functional.count")
    for name in ("a", "b", "c"):
        log_failed_login(logger, name, "192.0.2.1")
    assert len(handler.records) == 3
