import logging


def log_failed_login(logger: logging.Logger, username: str, client_ip: str) -> None:
    """Record a failed login attempt: one WARNING record whose message is
    "Failed login for user '<username>' from <client_ip>".

    Both values come straight from the request (the login form and the X-Forwarded-For header), and the
    security team's tooling parses the log line by line. Every character of either value that is not
    printable (str.isprintable() is False: CR, LF, tab, escape and other control characters, Unicode line
    separators, ...) is written as its Python escape as shown by repr(), e.g. a line feed becomes the two
    characters backslash and "n"; printable characters, including non-ASCII letters, are kept."""
    safe_username = username.replace("\n", "\\n")
    logger.warning("Failed login for user '%s' from %s", safe_username, client_ip)
