from solution import User, apply_profile_update


def _user():
    return User(id=42, email="bob@example.com", display_name="Bob", email_verified=False,
                password_hash="pbkdf2_sha256$100000$aa$bb")


def test_cannot_grant_admin_rights():
    user = apply_profile_update(_user(), {"display_name": "Bob", "role": "admin", "is_admin": True})
    assert user.role == "member" and user.is_admin is False


def test_cannot_mark_own_email_verified_or_take_over_another_id():
    user = apply_profile_update(_user(), {"email": "ceo@victim-corp.example", "email_verified": True, "id": 1})
    assert user.email == "ceo@victim-corp.example"
    assert user.email_verified is False
    assert user.id == 42


def test_cannot_overwrite_password_hash():
    user = apply_profile_update(_user(), {"bio": "hi", "password_hash": "md5$known"})
    assert user.password_hash == "pbkdf2_sha256$100000$aa$bb"
