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
        result = copy.deepcopy(base)
        for key, value in override.items():
            if isinstance(result.get(key), dict) and isinstance(value, dict):
                result[key] = merge(result[key], value)
            else:
                result[key] = value
        return result

    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.load(f, Loader=yaml.Loader)
        except yaml.YAMLError as err:
            raise ValueError(f"invalid config file: {err}") from None
    if data is None:
        return copy.deepcopy(DEFAULTS)
    if not isinstance(data, dict):
        raise ValueError("config file must contain a mapping at the top level")
    return merge(DEFAULTS, data)
