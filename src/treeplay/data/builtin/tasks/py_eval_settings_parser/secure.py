def parse_settings(text: str) -> dict:
    """Parse `NAME = value` lines (blank lines and # comments skipped) into a dict. Values that are Python
    literals become the literal's value; anything else is kept as the stripped raw string. Raise ValueError
    for a line without '=' or with an empty name. Values are tenant input and are never executed."""
    import ast

    settings: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, raw = stripped.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name:
            raise ValueError(f"line {number}: expected NAME = value")
        try:
            # literal_eval only builds literals; it never calls or looks anything up
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = raw
        settings[name] = value
    return settings
