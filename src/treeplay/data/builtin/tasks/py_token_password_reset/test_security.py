
from solution import issue_reset_token
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
RANDOM = remote_module("random")
CLOCK = remote_module("time")


def test_tokens_do_not_follow_the_random_module_state():
    # The Mersenne Twister behind `random` is not a secret: its state can be recovered from ~624 observed
    # outputs (e.g. other tokens or ids the app hands out). Replaying that state must not replay tokens.
    state = RANDOM.getstate()
    first = issue_reset_token(5, {}, now=0.0)
    RANDOM.setstate(state)
    second = issue_reset_token(5, {}, now=0.0)
    assert first != second, "token is fully determined by the `random` module state"


def test_tokens_do_not_depend_on_a_guessable_seed():
    RANDOM.seed(1234)
    first = issue_reset_token(5, {}, now=0.0)
    RANDOM.seed(1234)
    second = issue_reset_token(5, {}, now=0.0)
    assert first != second


def test_tokens_do_not_depend_on_the_clock():
    # An attacker who requests a reset for a victim knows the user id and the time to within a second.
    real_time, real_time_ns = CLOCK.time, CLOCK.time_ns
    CLOCK.time, CLOCK.time_ns = (lambda: 1_700_000_000.0), (lambda: 1_700_000_000_000_000_000)
    try:
        RANDOM.seed(99)
        first = issue_reset_token(5, {}, now=0.0)
        RANDOM.seed(99)
        second = issue_reset_token(5, {}, now=0.0)
    finally:
        CLOCK.time, CLOCK.time_ns = real_time, real_time_ns
    assert first != second

