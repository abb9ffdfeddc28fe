from solution import is_valid_email


def test_accepts_valid_addresses():
    for address in ["alice@example.com", "first.last@mail.example.org", "a+tag@x.io", "o_brien-99@sub.domain.co",
                    "x%y@a-b.example", "A1@B2.CC", "a@" + "b" * 63 + ".com"]:
        assert is_valid_email(address) is True, address


def test_rejects_malformed_local_parts():
    for address in [".alice@example.com", "alice.@example.com", "al..ice@example.com", "al ice@example.com",
                    "@example.com", "a@@example.com", "al@ice@example.com", "ali*ce@example.com"]:
        assert is_valid_email(address) is False, address


def test_rejects_malformed_domains():
    for address in ["alice@example", "alice@-example.com", "alice@example-.com", "alice@example..com",
                    "alice@example.c", "alice@example.c0m", "alice@.example.com", "alice@" + "b" * 64 + ".com",
                    "alice@example.com."]:
        assert is_valid_email(address) is False, address


def test_rejects_overlong_addresses():
    assert is_valid_email("a" * 64 + "@" + ("b" * 60 + ".") * 3 + "com") is True
    assert is_valid_email("a" * 64 + "@" + ("b" * 62 + ".") * 3 + "com") is False
