"""One vulnerable and one fixed example per treeplay semgrep rule (written for these tests, not from any data set).

``EXAMPLES[rule_id] = (language, vulnerable, fixed)``: the rule must flag ``vulnerable`` and stay silent on
``fixed``. Fixed examples are the usual remedies, so they also guard against rules that fire on good code.
"""

from __future__ import annotations

from .rule_examples_js_dataflow import JS_DATAFLOW_EXAMPLES
from .rule_examples_languages import LANGUAGE_EXAMPLES

PY_HTML = (
    "def badge(user):\n    return f'<span class=\"user\">{user}</span>'\n",
    "import html\n\ndef badge(user):\n    return f'<span class=\"user\">{html.escape(user)}</span>'\n"
    # a local helper that escapes, one name of a tuple assignment
    "\ndef item_list(query, items):\n    def mark(text):\n        return html.escape(text).replace(query, '')\n"
    "    out = []\n    for item in items:\n        title, url = mark(item['title']), item['url']\n"
    "        out.append(f'<li>{title}</li>')\n    return out\n",
)
PY_TEMPLATE = (
    "CARD_HTML = '<div>{body}</div>'\n\ndef card(body):\n    return CARD_HTML.format(body=body)\n",
    "import html\nCARD_HTML = '<div>{body}</div>'\n\ndef card(body):\n"
    "    return CARD_HTML.format(body=html.escape(body))\n"
    # a template's file name, not markup
    "\ndef page(app, name):\n    return app.render('pages/{}.html'.format(name))\n",
)
PY_CMD_TEMPLATE = (
    "PING_CMD = 'ping -c 1 {host}'\n\ndef ping_line(host):\n    return PING_CMD.format(host=host)\n",
    "import shlex\nPING_CMD = 'ping -c 1 {host}'\n\ndef ping_line(host):\n"
    "    return PING_CMD.format(host=shlex.quote(host))\n",
)
PY_HEADER = (
    "def cache_header(tag):\n    return f'X-Cache-Tag: {tag}'\n",
    "import re\n\ndef cache_header(tag):\n    clean = re.sub(r'[\\r\\n"
    "]', '', tag)\n    return f'X-Cache-Tag: {clean}'\n",
)
PY_SQL = (
    "def find(conn, name):\n    q = f\"SELECT id FROM users WHERE name = '{name}'\"\n"
    "    return conn.execute(q).fetchall()\n",
    "def find(conn, name):\n    return conn.execute('SELECT id FROM users WHERE name = ?', (name,)).fetchall()\n"
    # values bound with SQLAlchemy's bindparams
    "\nfrom sqlalchemy import text\n\ndef search(db, term):\n"
    "    stmt = text('SELECT id FROM docs WHERE title LIKE :p').bindparams(p=f'%{term}%')\n"
    "    return db.execute(stmt).fetchall()\n",
)
PY_PATH = (
    "import os\n\ndef read_note(folder, name):\n    with open(os.path.join(folder, name)) as fh:\n"
    "        return fh.read()\n",
    "import os\n\ndef read_note(folder, name):\n    base = os.path.realpath(folder)\n"
    "    target = os.path.realpath(os.path.join(base, name))\n"
    "    if os.path.commonpath([base, target]) != base:\n        raise ValueError(name)\n"
    "    with open(target) as fh:\n        return fh.read()\n"
    # a name reduced to letters, digits, '-' and '_'; a file-name sanitizer
    "\nimport re\n\ndef key_file(folder, domain):\n"
    "    return os.path.join(folder, re.sub(r'[^\\w-]', '_', domain) + '.key')\n"
    "\ndef upload_target(folder, name):\n    return os.path.join(folder, safe_filename(name))\n",
)
PY_PREFIX = (
    "import os\n\ndef inside(base, name):\n    p = os.path.abspath(os.path.join(base, name))\n"
    "    return p.startswith(base)\n",
    "import os\n\ndef inside(base, name):\n    p = os.path.abspath(os.path.join(base, name))\n"
    "    return p.startswith(base + os.sep)\n",
)
PY_DOTDOT = (
    "def clean_name(name):\n    return name.replace('../', '')\n",
    "import os\n\ndef clean_name(name):\n    return os.path.basename(name)\n",
)
PY_ZIP = (
    "import os\nimport zipfile\n\ndef unpack(archive, dest):\n    with zipfile.ZipFile(archive) as zf:\n"
    "        for member in zf.infolist():\n            out = os.path.join(dest, member.filename)\n"
    "            with open(out, 'wb') as fh:\n                fh.write(zf.read(member))\n",
    "import os\nimport zipfile\n\ndef unpack(archive, dest):\n    base = os.path.realpath(dest)\n"
    "    with zipfile.ZipFile(archive) as zf:\n        for member in zf.infolist():\n"
    "            out = os.path.realpath(os.path.join(base, member.filename))\n"
    "            if os.path.commonpath([base, out]) != base:\n                raise ValueError(member.filename)\n",
)
PY_TOCTOU = (
    "import os\n\ndef drop(path):\n    if os.path.exists(path):\n        os.remove(path)\n",
    "import os\n\ndef drop(path):\n    try:\n        os.remove(path)\n    except FileNotFoundError:\n        pass\n",
)
PY_TMP = (
    "import os\nimport tempfile\n\ndef spill(data):\n    path = os.path.join(tempfile.gettempdir(), 'spill.txt')\n"
    "    with open(path, 'w') as fh:\n        fh.write(data)\n    return path\n",
    "import os\nimport tempfile\n\ndef spill(data):\n    fd, path = tempfile.mkstemp()\n"
    "    with os.fdopen(fd, 'w') as fh:\n        fh.write(data)\n    return path\n",
)
PY_SECRET_FILE = (
    "def store_api_key(path, api_key):\n    with open(path, 'w') as fh:\n        fh.write(api_key)\n",
    "import os\n\ndef store_api_key(path, api_key):\n"
    "    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n"
    "    with os.fdopen(fd, 'w') as fh:\n        fh.write(api_key)\n",
)
PY_RANDOM = (
    "import random\nimport string\n\ndef make_invite_code(n):\n"
    "    return ''.join(random.choice(string.ascii_letters) for _ in range(n))\n",
    "import secrets\nimport string\n\ndef make_invite_code(n):\n"
    "    return ''.join(secrets.choice(string.ascii_letters) for _ in range(n))\n",
)
PY_PREDICTABLE = (
    "import hashlib\nimport time\n\ndef new_session_token(user):\n"
    "    return hashlib.sha1(f'{user}{time.time()}'.encode()).hexdigest()\n",
    "import secrets\n\ndef new_session_token(user):\n    return secrets.token_urlsafe(32)\n",
)
PY_MAC = (
    "import hashlib\n\ndef sign(secret_key, body):\n    return hashlib.sha256(secret_key + body).hexdigest()\n",
    "import hashlib\nimport hmac\n\ndef sign(secret_key, body):\n"
    "    return hmac.new(secret_key, body, hashlib.sha256).hexdigest()\n",
)
PY_PW_HASH = (
    "import hashlib\n\ndef store(password):\n    return hashlib.sha256(password.encode()).hexdigest()\n",
    "import hashlib\nimport os\n\ndef store(password):\n    salt = os.urandom(16)\n"
    "    return salt + hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)\n",
)
PY_ALG = (
    "import hashlib\n\ndef digest(alg, data):\n    return hashlib.new(alg, data).hexdigest()\n",
    "import hashlib\nSTRONG = {'sha256', 'sha512'}\n\ndef digest(alg, data):\n"
    "    if alg not in STRONG:\n        raise ValueError(alg)\n    return hashlib.new(alg, data).hexdigest()\n",
)
PY_HOSTNAME = (
    "import ssl\n\ndef ctx():\n    c = ssl.create_default_context()\n    c.check_hostname = False\n    return c\n",
    "import ssl\n\ndef ctx():\n    return ssl.create_default_context()\n",
)
PY_CONTEXT = (
    "import ssl\n\ndef ctx():\n    return ssl.SSLContext(ssl.PROTOCOL_TLS)\n",
    "import ssl\n\ndef ctx():\n    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n",
)
PY_OLD_TLS = (
    "import ssl\n\ndef ctx():\n    c = ssl.create_default_context()\n    c.minimum_version = ssl.TLSVersion.TLSv1\n"
    "    return c\n",
    "import ssl\n\ndef ctx():\n    c = ssl.create_default_context()\n    c.minimum_version = ssl.TLSVersion.TLSv1_2\n"
    "    return c\n",
)
PY_STARTTLS = (
    "import smtplib\n\ndef send(host):\n    s = smtplib.SMTP(host)\n    s.starttls()\n    return s\n",
    "import smtplib\nimport ssl\n\ndef send(host):\n    s = smtplib.SMTP(host)\n"
    "    s.starttls(context=ssl.create_default_context())\n    return s\n",
)
PY_ENV_DEFAULT = (
    "import os\n\ndef signing_key():\n    return os.environ.get('APP_SIGNING_KEY', 'change-me-later')\n",
    "import os\n\ndef signing_key():\n    return os.environ['APP_SIGNING_KEY']\n",
)
PY_LITERAL = (
    "def client():\n    api_key = 'AKx9f3Lm20QpZ7vB44rT'\n    return {'auth': api_key}\n",
    "import os\n\ndef client():\n    api_key = os.environ['SERVICE_API_KEY']\n    return {'auth': api_key}\n",
)
PY_YAML = (
    "import yaml\n\ndef load(text):\n    return yaml.unsafe_load(text)\n",
    "import yaml\n\ndef load(text):\n    return yaml.safe_load(text)\n",
)
PY_PICKLE = (
    "import pickle\n\ndef restore(path):\n    with open(path, 'rb') as f:\n        return pickle.load(f)\n",
    "import json\n\ndef restore(path):\n    with open(path) as f:\n        return json.load(f)\n",
)
PY_XXE = (
    "from lxml import etree\n\ndef parse(data):\n"
    "    return etree.fromstring(data, etree.XMLParser(resolve_entities=True))\n",
    "from lxml import etree\n\ndef parse(data):\n"
    "    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))\n",
)
PY_REL_REDIRECT = (
    "def after_login(next_url):\n    if next_url.startswith('/'):\n        return next_url\n    return '/home'\n",
    "def after_login(next_url):\n    if next_url.startswith('/') and not next_url.startswith('//'):\n"
    "        return next_url\n    return '/home'\n",
)
PY_HOST_REDIRECT = (
    "from urllib.parse import urljoin\n\ndef landing(site, target):\n    return urljoin(site, target)\n",
    "from urllib.parse import urljoin, urlparse\nALLOWED = {'example.org'}\n\ndef landing(site, target):\n"
    "    url = urljoin(site, target)\n    if urlparse(url).netloc not in ALLOWED:\n        raise ValueError(url)\n"
    "    return url\n",
)
PY_MASS = (
    "def patch_user(user, fields):\n    for key, value in fields.items():\n        setattr(user, key, value)\n",
    "EDITABLE = {'nickname', 'bio'}\n\ndef patch_user(user, fields):\n    for key, value in fields.items():\n"
    "        if key in EDITABLE:\n            setattr(user, key, value)\n"
    # update() of a hash object sets no fields
    "\nimport hashlib\n\ndef fingerprint(payload):\n    digest = hashlib.sha256()\n    digest.update(payload)\n"
    "    return digest.hexdigest()\n",
)
PY_FORMAT = (
    "def render(template, account):\n    return template.format(account=account)\n",
    "def render(template, account):\n    return template.format(name=str(account.name))\n",
)
PY_ARGS = (
    "import subprocess\n\ndef pack(out, files):\n    subprocess.run(['zip', out, *files], check=True)\n",
    "import subprocess\n\ndef pack(out, files):\n    subprocess.run(['zip', out, '--', *files], check=True)\n",
)
PY_EVAL = (
    "def calculate(expression):\n    return eval(expression)\n",
    "import ast\nimport re\n\n"
    "ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)\n"
    "\ndef calculate(expression):\n    tree = ast.parse(expression, mode='eval')\n"
    "    if not all(isinstance(node, ALLOWED) for node in ast.walk(tree)):\n        raise ValueError(expression)\n"
    "    return eval(compile(tree, '<expr>', 'eval'))\n"
    "\ndef add_up(expression):\n    if not re.fullmatch(r'[0-9+\\- ]+', expression):\n"
    "        raise ValueError(expression)\n"
    "    return eval(expression)\n",
)
PY_SHELL = (
    "import os\n\ndef disk_usage(folder):\n    return os.popen('du -sh ' + folder).read()\n",
    "import os\nimport shlex\n\ndef disk_usage(folder):\n    return os.popen('du -sh ' + shlex.quote(folder)).read()\n"
    "\ndef run_allowed(command, allowed):\n    words = shlex.split(command)\n    for word in words:\n"
    "        if word not in allowed:\n            raise ValueError(word)\n"
    "    return os.popen(' '.join(words)).read()\n",
)
PY_SQL_STRING = (
    "def hits(db, short):\n    return db.query(\"SELECT count FROM hits WHERE short = '%s'\" % short)\n",
    "def hits(db, short):\n    return db.query('SELECT count FROM hits WHERE short = ?', [short])\n"
    "\ndef approve(db, ids):\n"
    "    db.query('UPDATE drawings SET approved = 1 WHERE ' + ' OR '.join(['id = ?'] * len(ids)), ids)\n"
    "\ndef login(db, name):\n    query = f\"SELECT id FROM users WHERE login = %s\"\n"
    "    return db.query(query, (name,))\n"
    # a column picked from a literal list or tuple (an allow-list), directly, by enumerate or through a name
    "\ndef update(db, form, uid):\n    tags = ['nickname', 'email']\n    for (i, tag) in enumerate(tags):\n"
    "        db.query('UPDATE members SET %s = ? WHERE id = ?' % tag, (form[tag], uid))\n"
    "    for col in ('seen', 'hits'):\n        db.query('UPDATE counters SET %s = 0' % col)\n"
    "    cols = ('seen', 'hits')\n    for col in cols:\n        db.query('UPDATE counters SET %s = 0' % col)\n",
)
# a loop over request data is no allow-list: still flagged (lines 3 and 5)
PY_SQL_LOOP = ("def update(db, form):\n    for tag in form:\n        db.query('UPDATE members SET %s = 1' % tag)\n"
               "    for (i, tag) in enumerate(form.keys()):\n"
               "        db.query('UPDATE members SET %s = 1 WHERE id = %d' % (tag, i))\n")
PY_LOG = (
    "import logging\nlog = logging.getLogger(__name__)\n\ndef denied(user):\n    log.warning('denied %s', user)\n",
    "import logging\nlog = logging.getLogger(__name__)\n\n"
    "def denied(user):\n    log.warning('denied %r', repr(user))\n",
)
PY_DECOMPRESS = (
    "import zlib\n\ndef inflate(blob):\n    return zlib.decompress(blob)\n",
    "import zlib\n\ndef inflate(blob, limit):\n    d = zlib.decompressobj()\n    out = d.decompress(blob, limit)\n"
    "    if d.unconsumed_tail:\n        raise ValueError('too large')\n    return out\n",
)
PY_COLLECTION = (
    "EVENTS = []\n\ndef record(event):\n    EVENTS.append(event)\n",
    "EVENTS = []\n\ndef record(event):\n    if len(EVENTS) >= 10000:\n        raise OverflowError('full')\n"
    "    EVENTS.append(event)\n",
)
PY_REDOS = (
    "import re\n\ndef valid(s):\n    return re.fullmatch(r'(\\w+\\s?)*$', s) is not None\n",
    "import re\n\ndef valid(s):\n    return re.fullmatch(r'\\w+(?:\\s\\w+)*', s) is not None\n",
)
PY_STREAM = (
    "def save(src, dst):\n    while True:\n        chunk = src.read(65536)\n        if not chunk:\n            break\n"
    "        dst.write(chunk)\n",
    "def save(src, dst, limit):\n    total = 0\n    while True:\n        chunk = src.read(65536)\n"
    "        if not chunk:\n            break\n        total += len(chunk)\n        if total > limit:\n"
    "            raise ValueError('too large')\n        dst.write(chunk)\n",
)

JS_HTML = (
    "function row(item) {\n  return `<tr><td>${item.title}</td></tr>`;\n}\nmodule.exports = { row };\n",
    "function escapeHtml(s) {\n  return String(s).replace(/[&<>\"']/g, (c) => '&#' + c.charCodeAt(0) + ';');\n}\n"
    "function row(item) {\n  return `<tr><td>${escapeHtml(item.title)}</td></tr>`;\n}\nmodule.exports = { row };\n",
)
JS_EXEC = (
    "const cp = require('child_process');\nfunction wc(file) {\n  return cp.execSync('wc -l ' + file);\n}\n",
    "const cp = require('child_process');\nfunction wc(file) {\n"
    "  return cp.execFileSync('wc', ['-l', '--', file]);\n}\n",
)
JS_PREFIX = (
    "const path = require('path');\nfunction inside(root, rel) {\n  const full = path.resolve(root, rel);\n"
    "  return full.startsWith(root);\n}\n",
    "const path = require('path');\nfunction inside(root, rel) {\n  const full = path.resolve(root, rel);\n"
    "  return full.startsWith(root + path.sep);\n}\n",
)
JS_JOIN = (
    "const fs = require('fs');\nconst path = require('path');\nfunction show(dir, name) {\n"
    "  return fs.readFileSync(path.join(dir, name));\n}\n",
    "const fs = require('fs');\nconst path = require('path');\nfunction show(dir, name) {\n"
    "  return fs.readFileSync(path.join(dir, path.basename(name)));\n}\n",
)
JS_RANDOM = (
    "function resetToken() {\n  return Math.random().toString(36).slice(2);\n}\n",
    "const crypto = require('crypto');\nfunction resetToken() {\n  return crypto.randomBytes(24).toString('hex');\n}\n",
)
JS_MERGE = (
    "function deepAssign(dst, src) {\n  for (const k in src) {\n"
    "    if (typeof src[k] === 'object' && src[k] !== null) {\n      if (!dst[k]) dst[k] = {};\n"
    "      deepAssign(dst[k], src[k]);\n    } else {\n      dst[k] = src[k];\n    }\n  }\n  return dst;\n}\n",
    "const BAD = ['__proto__', 'constructor', 'prototype'];\nfunction deepAssign(dst, src) {\n"
    "  for (const k in src) {\n    if (BAD.includes(k)) continue;\n"
    "    if (typeof src[k] === 'object' && src[k] !== null) {\n      if (!dst[k]) dst[k] = {};\n"
    "      deepAssign(dst[k], src[k]);\n    } else {\n      dst[k] = src[k];\n    }\n  }\n  return dst;\n}\n",
)
JS_REDOS = (
    "function ok(s) {\n  return /^(\\d+-?)*$/.test(s);\n}\n",
    "function ok(s) {\n  return /^\\d+(?:-\\d+)*$/.test(s);\n}\n",
)

C_POPEN = (
    "#include <stdio.h>\nint count(const char *cmd) {\n"
    "  FILE *p = popen(cmd, \"r\");\n  return p ? pclose(p) : -1;\n}\n",
    "#include <stdio.h>\nint count(void) {\n  FILE *p = popen(\"ls /srv\", \"r\");\n  return p ? pclose(p) : -1;\n}\n",
)
C_PATH = (
    "#include <stdio.h>\nFILE *open_in(const char *dir, const char *name) {\n  char buf[512];\n"
    "  snprintf(buf, sizeof buf, \"%s/%s\", dir, name);\n  return fopen(buf, \"r\");\n}\n",
    "#include <stdio.h>\n#include <string.h>\nFILE *open_in(const char *dir, const char *name) {\n  char buf[512];\n"
    "  if (strstr(name, \"..\") != NULL || name[0] == '/')\n    return NULL;\n"
    "  snprintf(buf, sizeof buf, \"%s/%s\", dir, name);\n  return fopen(buf, \"r\");\n}\n",
)
C_ALLOC = (
    "#include <stdlib.h>\nint *grid(unsigned rows, unsigned cols) {\n  unsigned n = rows * cols;\n"
    "  return malloc(n);\n}\n",
    "#include <stdlib.h>\n#include <stdint.h>\nint *grid(size_t rows, size_t cols) {\n"
    "  if (cols != 0 && rows > SIZE_MAX / cols)\n    return NULL;\n  size_t n = rows * cols;\n  return malloc(n);\n}\n",
)

EXAMPLES: dict[str, tuple[str, str, str]] = {
    "treeplay-py-html-fstring-unescaped": ("python", *PY_HTML),
    "treeplay-py-markup-template-unescaped": ("python", *PY_TEMPLATE),
    "treeplay-py-command-template-unquoted": ("python", *PY_CMD_TEMPLATE),
    "treeplay-py-header-crlf": ("python", *PY_HEADER),
    "treeplay-py-sql-built-from-input": ("python", *PY_SQL),
    "treeplay-py-path-join-unchecked": ("python", *PY_PATH),
    "treeplay-py-path-prefix-check": ("python", *PY_PREFIX),
    "treeplay-py-path-dotdot-stripping": ("python", *PY_DOTDOT),
    "treeplay-py-archive-member-path": ("python", *PY_ZIP),
    "treeplay-py-check-then-use-file": ("python", *PY_TOCTOU),
    "treeplay-py-predictable-temp-file": ("python", *PY_TMP),
    "treeplay-py-secret-file-default-permissions": ("python", *PY_SECRET_FILE),
    "treeplay-py-random-for-secret": ("python", *PY_RANDOM),
    "treeplay-py-predictable-token": ("python", *PY_PREDICTABLE),
    "treeplay-py-hash-as-mac": ("python", *PY_MAC),
    "treeplay-py-fast-password-hash": ("python", *PY_PW_HASH),
    "treeplay-py-hash-algorithm-from-input": ("python", *PY_ALG),
    "treeplay-py-tls-hostname-check-off": ("python", *PY_HOSTNAME),
    "treeplay-py-tls-context-unverified": ("python", *PY_CONTEXT),
    "treeplay-py-tls-old-protocol": ("python", *PY_OLD_TLS),
    "treeplay-py-starttls-without-context": ("python", *PY_STARTTLS),
    "treeplay-py-secret-env-default": ("python", *PY_ENV_DEFAULT),
    "treeplay-py-secret-literal": ("python", *PY_LITERAL),
    "treeplay-py-yaml-unsafe-loader": ("python", *PY_YAML),
    "treeplay-py-pickle-deserialization": ("python", *PY_PICKLE),
    "treeplay-py-xml-external-entities": ("python", *PY_XXE),
    "treeplay-py-open-redirect-relative-check": ("python", *PY_REL_REDIRECT),
    "treeplay-py-redirect-host-unchecked": ("python", *PY_HOST_REDIRECT),
    "treeplay-py-mass-assignment": ("python", *PY_MASS),
    "treeplay-py-caller-format-string": ("python", *PY_FORMAT),
    "treeplay-py-argument-injection": ("python", *PY_ARGS),
    "treeplay-py-code-eval": ("python", *PY_EVAL),
    "treeplay-py-shell-command-string": ("python", *PY_SHELL),
    "treeplay-py-sql-string-formatted": ("python", *PY_SQL_STRING),
    "treeplay-py-log-injection": ("python", *PY_LOG),
    "treeplay-py-unbounded-decompression": ("python", *PY_DECOMPRESS),
    "treeplay-py-unbounded-shared-collection": ("python", *PY_COLLECTION),
    "treeplay-py-redos-nested-quantifier": ("python", *PY_REDOS),
    "treeplay-py-unbounded-stream-copy": ("python", *PY_STREAM),
    "treeplay-js-html-template-unescaped": ("javascript", *JS_HTML),
    "treeplay-js-shell-command-string": ("javascript", *JS_EXEC),
    "treeplay-js-path-prefix-check": ("javascript", *JS_PREFIX),
    "treeplay-js-path-join-unchecked": ("javascript", *JS_JOIN),
    "treeplay-js-insecure-random-secret": ("javascript", *JS_RANDOM),
    "treeplay-js-prototype-pollution-merge": ("javascript", *JS_MERGE),
    "treeplay-js-redos-nested-quantifier": ("javascript", *JS_REDOS),
    "treeplay-c-popen-nonliteral": ("c", *C_POPEN),
    "treeplay-c-path-unchecked": ("c", *C_PATH),
    "treeplay-c-alloc-size-overflow": ("c", *C_ALLOC),
    **LANGUAGE_EXAMPLES,  # Go, Java, Ruby, C++ and the newer JavaScript rules
    **JS_DATAFLOW_EXAMPLES,  # JavaScript dataflow (taint) rules
}
