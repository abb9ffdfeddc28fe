from solution import safe_redirect_target


def test_local_paths_are_kept():
    for target in ["/orders/7?tab=items#top", "/", "/settings/profile", "/search?q=a%20b&page=2"]:
        assert safe_redirect_target(target) == target


def test_allowed_absolute_urls_are_kept():
    for target in ["https://app.example.com/reports/q3", "https://billing.example.com/invoices?id=4",
                   "http://app.example.com:8080/x", "https://APP.example.com/upper"]:
        assert safe_redirect_target(target) == target


def test_missing_value_uses_default():
    assert safe_redirect_target(None) == "/dashboard"
    assert safe_redirect_target("") == "/dashboard"
    assert safe_redirect_target(None, default="/home") == "/home"
    assert safe_redirect_target("https://other.example.org/", default="/home") == "/home"
