import copy

import yaml

DEFAULTS = {
    "server": {"host": "127.0.0.1", "port": 8080, "tls": {"enabled": False, "cert": None}},
    "workers": 4,
    "debug": False,
    "allowed_origins": [],
}


def load_config(path: str) -> dict:
    """Read the YAML config at path and deep-merge it over DEFAULTS (mappings merge recursively, any other
    value replaces the default; DEFAULTS is not modified; an empty file gives the defaults). Raise
    ValueError for invalid YAML, a non-mapping top level, or Python-specific tags."""

    def merge(base: dict, override: dict) -> dict:
        merged = copy.deepcopy(base)
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
        return merged

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = yaml.unsafe_load(text) or {}
    except yaml.YAMLError as err:
        raise ValueError(str(err)) from None
    if not isinstance(data, dict):
        raise ValueError("top level of the config must be a mapping")
    return merge(DEFAULTS, data)
