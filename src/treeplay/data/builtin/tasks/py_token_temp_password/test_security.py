import string

from solution import SYMBOLS, generate_temporary_password
from treeplay_judge import remote_module

# The candidate runs in its own process: the judge patches that process through remote_module.
RANDOM = remote_module("random")


def test_password_does_not_follow_the_random_module_state():
    # The state of `random` can be reconstructed from its earlier outputs; replaying it must not replay
    # the password.
    state = RANDOM.getstate()
    first = generate_temporary_password()
    RANDOM.setstate(state)
    second = generate_temporary_password()
    assert first != second, "password is determined by the `random` module state"


def test_password_does_not_depend_on_a_guessable_seed():
    RANDOM.seed(20240101)
    first = generate_temporary_password(20)
    RANDOM.seed(20240101)
    second = generate_temporary_password(20)
    assert first != second


def test_character_classes_are_not_at_fixed_positions():
    # A fixed layout such as "Upper, lower, digit, symbol, ..." shrinks the space an attacker has to search.
    def kind(ch):
        if ch in string.ascii_lowercase:
            return "lower"
        if ch in string.ascii_uppercase:
            return "upper"
        if ch in string.digits:
            return "digit"
        assert ch in SYMBOLS
        return "symbol"

    samples = [generate_temporary_password() for _ in range(300)]
    for pos in range(16):
        assert len({kind(pw[pos]) for pw in samples}) == 4, f"position {pos} always has the same kind"
