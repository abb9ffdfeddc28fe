import re


def render_search_results(query: str, results: list[dict]) -> str:
    """Build the search page fragment: a <p class="summary"> line echoing the query in <q>, then an
    <ol class="results"> of <li><a href=URL>TITLE</a></li> (no link unless the url is http/https), with query
    matches in titles wrapped in <mark>. Query, titles and URLs are untrusted and always HTML-escaped."""
    if not results:
        return f'<p class="summary">No results for <q>{query}</q></p>'
    noun = "result" if len(results) == 1 else "results"
    html = f'<p class="summary">{len(results)} {noun} for <q>{query}</q></p><ol class="results">'
    for r in results:
        title = r["title"]
        if query:
            title = re.sub(re.escape(query), lambda m: f"<mark>{m.group(0)}</mark>", title, flags=re.IGNORECASE)
        if r["url"].lower().startswith(("http://", "https://")):
            html += f'<li><a href="{r["url"]}">{title}</a></li>'
        else:
            html += f"<li>{title}</li>"
    return html + "</ol>"
