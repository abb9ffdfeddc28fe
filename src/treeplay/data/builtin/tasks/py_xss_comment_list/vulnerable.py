def render_comments(comments: list[dict]) -> str:
    """Render comments ({author, body, optional website}) as <ul class="comments"><li>...</li></ul>, or
    <p class="empty">No comments yet.</p> when empty. Authors with an http(s) website are linked with
    rel="nofollow"; body newlines become <br>. All visitor input is HTML-escaped, quotes included."""
    if not comments:
        return '<p class="empty">No comments yet.</p>'
    html = '<ul class="comments">'
    for c in comments:
        author = c["author"]
        site = c.get("website")
        if site and site.lower().startswith(("http://", "https://")):
            author = f'<a href="{site}" rel="nofollow">{author}</a>'
        body = c["body"].replace("\n", "<br>")
        html += f'<li><span class="author">{author}</span><p>{body}</p></li>'
    return html + "</ul>"
