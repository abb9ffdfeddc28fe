def parse_settings(text: str) -> dict:
    """Parse `NAME = value` lines (blank lines and # comments skipped) into a dict. Values that are Python
    literals become the literal's value; anything else is kept as the stripped raw string. Raise ValueError
    for a line without '=' or with an empty name. Values are tenant input and are never executed."""
