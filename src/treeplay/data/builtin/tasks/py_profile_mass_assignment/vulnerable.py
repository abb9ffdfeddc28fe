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
    updates = {}
    for key, value in form.items():
        if not hasattr(user, key):
            continue  # csrf_token and other form noise
        if key in ("display_name", "bio", "timezone", "email") and not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        updates[key] = value
    if "display_name" in updates:
        updates["display_name"] = updates["display_name"].strip()
        if not updates["display_name"] or len(updates["display_name"]) > 50:
            raise ValueError("display_name must be 1-50 characters")
    if len(updates.get("bio", "")) > 500:
        raise ValueError("bio too long")
    if "email" in updates:
        if not EMAIL_RE.fullmatch(updates["email"]):
            raise ValueError("invalid email address")
        if updates["email"] != user.email:
            user.email_verified = False
    for key, value in updates.items():
        setattr(user, key, value)
    return user
