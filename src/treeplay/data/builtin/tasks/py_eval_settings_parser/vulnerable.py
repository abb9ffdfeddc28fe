def parse_settings(text: str) -> dict:
    """Parse `NAME = value` lines (blank lines and # comments skipped) into a dict. Values that are Python
    literals become the literal's value; anything else is kept as the stripped raw string. Raise ValueError
    for a line without '=' or with an empty name. Values are tenant input and are never executed."""
    settings: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "=" not in stripped:
            raise ValueError(f"line {number}: expected NAME = value")
        name, raw = (part.strip() for part in stripped.split("=", 1))
        if not name:
            raise ValueError(f"line {number}: empty name")
        try:
            value = eval(raw)
        except Exception:
            value = raw
        settings[name] = value
    return settings
