import re
from dataclasses import dataclass

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class User:
    id: int
    email: str
    display_name: str
    bio: str = ""
    timezone: str = "UTC"
    role: str = "member"
    is_admin: bool = False
    email_verified: bool = False
    password_hash: str = ""


def apply_profile_update(user: User, form: dict) -> User:
    """Apply the "edit profile" form a user submitted for their own account and return the user.

    Users may change only display_name (1-50 characters after stripping surrounding whitespace; the
    stripped value is stored), bio (at most 500 characters), timezone and email (must match EMAIL_RE;
    changing it to a different address sets email_verified to False). Every other key in the form (the
    CSRF token, or anything a user adds to the request) is ignored. Values must be strings. If any value
    is invalid, raise ValueError and leave the user unchanged."""
    editable = ("display_name", "bio", "timezone", "email")
    changes = {key: form[key] for key in editable if key in form}
    for key, value in changes.items():
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
    if "display_name" in changes:
        changes["display_name"] = changes["display_name"].strip()
        if not 1 <= len(changes["display_name"]) <= 50:
            raise ValueError("display_name must be 1-50 characters")
    if "bio" in changes and len(changes["bio"]) > 500:
        raise ValueError("bio must be at most 500 characters")
    if "email" in changes and not EMAIL_RE.fullmatch(changes["email"]):
        raise ValueError("invalid email address")

    if "email" in changes and changes["email"] != user.email:
        user.email_verified = False
    for key, value in changes.items():
        setattr(user, key, value)
    return user
