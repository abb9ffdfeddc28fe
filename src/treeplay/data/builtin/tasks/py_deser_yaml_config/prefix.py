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
