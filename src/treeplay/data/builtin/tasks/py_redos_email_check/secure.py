import re


def is_valid_email(address: str) -> bool:
    """Validate a sign-up email: <= 254 chars, one '@', local part = letter/digit runs joined by single
    . _ % + - characters, domain = 2+ dot-separated labels (1-63 letters/digits/hyphens, no hyphen at either
    end) ending in a 2+ letter TLD. Must run in linear time on hostile input."""
    if not isinstance(address, str) or len(address) > 254:
        return False
    # Every repetition starts with a character the previous one cannot consume (a separator or a dot),
    # so each input has only one way to match and backtracking stays linear.
    local = r"[A-Za-z0-9]+(?:[._%+-][A-Za-z0-9]+)*"
    label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    pattern = rf"{local}@(?:{label}\.)+[A-Za-z]{{2,}}"
    return re.fullmatch(pattern, address, flags=re.ASCII) is not None
