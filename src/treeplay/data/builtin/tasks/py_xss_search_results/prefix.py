import re


def render_search_results(query: str, results: list[dict]) -> str:
    """Build the search page fragment: a <p class="summary"> line echoing the query in <q>, then an
    <ol class="results"> of <li><a href=URL>TITLE</a></li> (no link unless the url is http/https), with query
    matches in titles wrapped in <mark>. Query, titles and URLs are untrusted and always HTML-escaped."""
