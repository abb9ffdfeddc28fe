import re


def render_search_results(query: str, results: list[dict]) -> str:
    """Build the search page fragment: a <p class="summary"> line echoing the query in <q>, then an
    <ol class="results"> of <li><a href=URL>TITLE</a></li> (no link unless the url is http/https), with query
    matches in titles wrapped in <mark>. Query, titles and URLs are untrusted and always HTML-escaped."""
    from html import escape

    def highlight(title: str) -> str:
        if not query:
            return escape(title, quote=True)
        parts, last = [], 0
        for match in re.finditer(re.escape(query), title, flags=re.IGNORECASE):
            parts.append(escape(title[last:match.start()], quote=True))
            parts.append("<mark>" + escape(match.group(0), quote=True) + "</mark>")
            last = match.end()
        parts.append(escape(title[last:], quote=True))
        return "".join(parts)

    shown_query = escape(query, quote=True)
    if not results:
        return f'<p class="summary">No results for <q>{shown_query}</q></p>'
    noun = "result" if len(results) == 1 else "results"
    out = [f'<p class="summary">{len(results)} {noun} for <q>{shown_query}</q></p>', '<ol class="results">']
    for result in results:
        title, url = highlight(result["title"]), result["url"]
        if url.lower().startswith(("http://", "https://")):
            out.append(f'<li><a href="{escape(url, quote=True)}">{title}</a></li>')
        else:
            out.append(f"<li>{title}</li>")
    out.append("</ol>")
    return "".join(out)
