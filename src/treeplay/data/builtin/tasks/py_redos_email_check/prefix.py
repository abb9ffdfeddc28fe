import re


def is_valid_email(address: str) -> bool:
    """Validate a sign-up email: <= 254 chars, one '@', local part = letter/digit runs joined by single
    . _ % + - characters, domain = 2+ dot-separated labels (1-63 letters/digits/hyphens, no hyphen at either
    end) ending in a 2+ letter TLD. Must run in linear time on hostile input."""
