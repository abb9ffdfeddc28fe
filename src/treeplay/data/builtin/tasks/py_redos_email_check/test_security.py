import signal

from solution import is_valid_email

BUDGET_S = 1.5


class _TooSlow(Exception):
    pass


def _check_within_budget(address):
    """Run is_valid_email under a wall-clock alarm; return (finished in time, result)."""

    def on_alarm(signum, frame):
        raise _TooSlow()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_S)
    try:
        return True, is_valid_email(address)
    except _TooSlow:
        return False, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_long_letter_run_with_bad_character_is_fast():
    finished, result = _check_within_budget("a" * 36 + "!")
    assert finished and result is False


def test_valid_looking_local_part_without_domain_is_fast():
    finished, result = _check_within_budget("john" + "0" * 32 + "@")
    assert finished and result is False


def test_local_part_before_bad_domain_is_fast():
    finished, result = _check_within_budget("x" * 34 + "@mail")
    assert finished and result is False
