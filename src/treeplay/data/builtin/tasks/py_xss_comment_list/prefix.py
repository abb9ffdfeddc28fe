def render_comments(comments: list[dict]) -> str:
    """Render comments ({author, body, optional website}) as <ul class="comments"><li>...</li></ul>, or
    <p class="empty">No comments yet.</p> when empty. Authors with an http(s) website are linked with
    rel="nofollow"; body newlines become <br>. All visitor input is HTML-escaped, quotes included."""
