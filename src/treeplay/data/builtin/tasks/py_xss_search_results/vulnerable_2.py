import re


def render_search_results(query: str, results: list[dict]) -> str:
    """Build the search page fragment: a <p class="summary"> line echoing the query in <q>, then an
    <ol class="results"> of <li><a href=URL>TITLE</a></li> (no link unless the url is http/https), with query
    matches in titles wrapped in <mark>. Query, titles and URLs are untrusted and always HTML-escaped."""
    import html

    def highlight(title):
        if not query:
            return html.escape(title)
        pieces = re.split("(" + re.escape(query) + ")", title, flags=re.IGNORECASE)
        # odd indexes are the captured matches
        return "".join(f"<mark>{html.escape(p)}</mark>" if i % 2 else html.escape(p) for i, p in enumerate(pieces))

    if not results:
        return f'<p class="summary">No results for <q>{query}</q></p>'
    noun = "result" if len(results) == 1 else "results"
    items = []
    for r in results:
        url = r["url"]
        if url.lower().startswith(("http://", "https://")):
            items.append(f'<li><a href="{html.escape(url)}">{highlight(r["title"])}</a></li>')
        else:
            items.append(f"<li>{highlight(r['title'])}</li>")
    return (f'<p class="summary">{len(results)} {noun} for <q>{query}</q></p>'
            f'<ol class="results">{"".join(items)}</ol>')
