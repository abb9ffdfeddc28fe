from solution import render_comments


def test_no_comments():
    assert render_comments([]) == '<p class="empty">No comments yet.</p>'


def test_plain_comments_in_order():
    html = render_comments([{"author": "Ann", "body": "Great post"}, {"author": "Bo", "body": "Thanks"}])
    assert html == ('<ul class="comments">'
                    '<li><span class="author">Ann</span><p>Great post</p></li>'
                    '<li><span class="author">Bo</span><p>Thanks</p></li>'
                    '</ul>')


def test_website_link_and_line_breaks():
    html = render_comments([{"author": "Cy", "body": "line one\nline two", "website": "HTTPS://cy.example/blog"}])
    assert html == ('<ul class="comments"><li><span class="author">'
                    '<a href="HTTPS://cy.example/blog" rel="nofollow">Cy</a></span>'
                    '<p>line one<br>line two</p></li></ul>')


def test_non_http_website_is_ignored():
    html = render_comments([{"author": "Di", "body": "hi", "website": "ftp://files.example"},
                            {"author": "Ed", "body": "yo", "website": ""}])
    assert "<a " not in html
    assert '<span class="author">Di</span>' in html and '<span class="author">Ed</span>' in html
