from solution import hash_password, verify_password


def test_round_trip():
    stored = hash_password("correct horse battery staple")
    assert isinstance(stored, str)
    assert verify_password("correct horse battery staple", stored) is True


def test_wrong_password_is_rejected():
    stored = hash_password("s3cret-Passw0rd")
    assert verify_password("s3cret-passw0rd", stored) is False
    assert verify_password("", stored) is False


def test_unicode_password():
    stored = hash_password("pässwörd-日本")
    assert verify_password("pässwörd-日本", stored) is True
    assert verify_password("passwort-日本", stored) is False
