from html.parser import HTMLParser

from solution import render_search_results

ALLOWED = {"p", "q", "ol", "li", "a", "mark"}


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
    for tag, attrs in parser.tags:
        assert tag in ALLOWED, tag
        assert not any(name.startswith("on") for name in attrs), attrs
    return parser


def test_reflected_query_is_escaped():
    query = "<script>alert(document.domain)</script>"
    for results in ([], [{"title": "Nothing relevant", "url": "https://a.example/"}]):
        parsed = _parse(render_search_results(query, results))
        assert query in "".join(parsed.text)


def test_query_cannot_inject_attributes_via_image():
    query = '<img src=x onerror=alert(1)>'
    _parse(render_search_results(query, [{"title": "x", "url": "https://a.example/"}]))


def test_crawled_title_is_escaped():
    title = '<img src=x onerror="alert(1)">Cheap shoes'
    parsed = _parse(render_search_results("shoes", [{"title": title, "url": "https://a.example/"}]))
    assert title in "".join(parsed.text)


def test_crawled_url_cannot_break_out_of_href():
    url = 'https://a.example/?q="><script>alert(1)</script><a href="'
    parsed = _parse(render_search_results("x", [{"title": "x", "url": url}]))
    assert [attrs for tag, attrs in parsed.tags if tag == "a"] == [{"href": url}]
