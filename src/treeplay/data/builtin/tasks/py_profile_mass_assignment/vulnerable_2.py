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
    protected = {"id", "role", "is_admin"}
    updates = {k: v for k, v in form.items() if k not in protected and hasattr(user, k)}
    for key in ("display_name", "bio", "timezone", "email"):
        if key in updates and not isinstance(updates[key], str):
            raise ValueError(f"{key} must be a string")
    if "display_name" in updates:
        updates["display_name"] = updates["display_name"].strip()
        if not 1 <= len(updates["display_name"]) <= 50:
            raise ValueError("display_name must be 1-50 characters")
    if "bio" in updates and len(updates["bio"]) > 500:
        raise ValueError("bio too long")
    if "email" in updates:
        if not EMAIL_RE.fullmatch(updates["email"]):
            raise ValueError("invalid email address")
        if updates["email"] != user.email:
            user.email_verified = False
    for key, value in updates.items():
        setattr(user, key, value)
    return user
