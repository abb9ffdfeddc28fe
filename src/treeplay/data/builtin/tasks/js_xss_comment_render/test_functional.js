'use strict';
const assert = require('node:assert');
const { renderComment } = require('./solution.js');

assert.strictEqual(
  renderComment({ author: 'Ada', body: 'Great post!' }),
  '<div class="comment"><p class="author">Ada</p><p class="body">Great post!</p></div>',
);

assert.strictEqual(
  renderComment({ author: 'Grace Hopper', body: 'First line\nSecond line', website: 'https://example.org/grace' }),
  '<div class="comment"><p class="author"><a href="https://example.org/grace" rel="nofollow">Grace Hopper</a></p>'
    + '<p class="body">First line<br>Second line</p></div>',
);

// scheme check is case-insensitive
assert.ok(renderComment({ author: 'Bo', body: 'hi', website: 'HTTP://bo.example' })
  .includes('<a href="HTTP://bo.example" rel="nofollow">Bo</a>'));

// anything that is not an http(s) URL is dropped
for (const website of ['ftp://files.example', 'example.org', '', undefined, null, 42]) {
  assert.strictEqual(
    renderComment({ author: 'Lin', body: 'ok', website }),
    '<div class="comment"><p class="author">Lin</p><p class="body">ok</p></div>',
    `website ${String(website)}`,
  );
}

// empty body
assert.strictEqual(
  renderComment({ author: 'Kim', body: '' }),
  '<div class="comment"><p class="author">Kim</p><p class="body"></p></div>',
);
