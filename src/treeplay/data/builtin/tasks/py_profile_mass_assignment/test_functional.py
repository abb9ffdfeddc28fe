from solution import User, apply_profile_update


def _user():
    return User(id=7, email="ann@example.com", display_name="Ann", email_verified=True, password_hash="pbkdf2$x")


def test_updates_editable_fields():
    user = apply_profile_update(_user(), {"display_name": "  Ann Smith ", "bio": "Gardener", "timezone": "Europe/Berlin",
                                          "csrf_token": "abc123"})
    assert (user.display_name, user.bio, user.timezone) == ("Ann Smith", "Gardener", "Europe/Berlin")
    assert user.email == "ann@example.com" and user.email_verified is True


def test_email_change_requires_new_verification():
    user = apply_profile_update(_user(), {"email": "ann@example.com"})
    assert user.email_verified is True
    user = apply_profile_update(user, {"email": "ann.smith@example.org"})
    assert user.email == "ann.smith@example.org" and user.email_verified is False


def test_invalid_values_leave_user_unchanged():
    for form in ({"display_name": "   "}, {"display_name": "x" * 51}, {"bio": "y" * 501},
                 {"display_name": "Valid", "email": "not-an-email"}, {"timezone": 5}):
        user = _user()
        try:
            apply_profile_update(user, form)
        except ValueError:
            assert user == _user(), form
            continue
        raise AssertionError(f"{form} accepted")
