'use strict';

/**
 * Render one blog comment as an HTML fragment for the comments section:
 *
 *   <div class="comment"><p class="author">AUTHOR</p><p class="body">BODY</p></div>
 *
 * - comment.author (string) is the display name. If comment.website is a non-empty string that
 *   starts with "http://" or "https://" (case-insensitive), AUTHOR is
 *   <a href="WEBSITE" rel="nofollow">NAME</a>; any other website value is ignored and AUTHOR is
 *   just NAME.
 * - comment.body (string) is plain text; each "\n" in it becomes "<br>".
 *
 * All three fields are typed by visitors. Every piece of their text (name, body, website) must be
 * HTML-escaped: & < > " ' become &amp; &lt; &gt; &quot; &#39;.
 *
 * @param {{author: string, body: string, website?: string}} comment
 * @returns {string}
 */
function renderComment(comment) {
