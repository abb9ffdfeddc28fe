def render_comments(comments: list[dict]) -> str:
    """Render comments ({author, body, optional website}) as <ul class="comments"><li>...</li></ul>, or
    <p class="empty">No comments yet.</p> when empty. Authors with an http(s) website are linked with
    rel="nofollow"; body newlines become <br>. All visitor input is HTML-escaped, quotes included."""
    from html import escape

    if not comments:
        return '<p class="empty">No comments yet.</p>'
    items = []
    for comment in comments:
        author = escape(comment["author"], quote=True)
        website = comment.get("website") or ""
        if website.lower().startswith(("http://", "https://")):
            author = f'<a href="{escape(website, quote=True)}" rel="nofollow">{author}</a>'
        # escape first, then add the markup we produce ourselves
        body = "<br>".join(escape(line, quote=True) for line in comment["body"].split("\n"))
        items.append(f'<li><span class="author">{author}</span><p>{body}</p></li>')
    return '<ul class="comments">' + "".join(items) + "</ul>"
