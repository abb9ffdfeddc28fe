'use strict';
const assert = require('node:assert');
const { renderComment } = require('./solution.js');

// A script in the body must come out as inert text.
{
  const html = renderComment({ author: 'x', body: '<script>fetch("/api/token").then(r => r.text())</script>' });
  assert.ok(!/<script/i.test(html), html);
  assert.ok(html.includes('&lt;script&gt;fetch('), html);
}

// An event-handler payload in the display name must not create an element.
{
  const html = renderComment({ author: '<img src=x onerror=alert(document.cookie)>', body: 'hi' });
  assert.ok(!/<img/i.test(html), html);
  assert.ok(html.includes('<p class="author">&lt;img src=x onerror=alert(document.cookie)&gt;</p>'), html);
}

// A quote in the website must not break out of the href attribute.
{
  const html = renderComment({ author: 'Eve', body: 'hi', website: 'https://evil.example/" onmouseover="alert(1)' });
  // the only attribute quotes left are the ones the template itself writes
  assert.ok(!/"\s*onmouseover=/i.test(html), html);
  assert.ok((html.match(/"/g) || []).length <= 10, html);
}

// javascript: URLs are never linked.
{
  const html = renderComment({ author: 'Eve', body: 'hi', website: 'javascript:alert(document.domain)' });
  assert.ok(!/href=/i.test(html), html);
}
