"""Examples for treeplay's JavaScript dataflow rules (``rules/javascript_dataflow.yaml``), written for these tests.

``JS_DATAFLOW_EXAMPLES[rule_id] = (language, vulnerable, fixed)`` like ``EXAMPLES``: the rule must flag the
vulnerable handler and stay silent on its usual fix.
"""

from __future__ import annotations

COMMAND = (
    "const { exec } = require('child_process');\n\n"
    "app.get('/ping', (req, res) => {\n"
    "  exec(`ping -c 1 ${req.query.host}`, (err, stdout) => res.type('text/plain').send(stdout));\n"
    "});\n",
    "const { execFile } = require('child_process');\n\n"
    "app.get('/ping', (req, res) => {\n"
    "  execFile('ping', ['-c', '1', String(req.query.host)], (err, stdout) => res.type('text/plain').send(stdout));\n"
    "});\n",
)
COMMAND_CONCAT = (
    "function thumbnail(src, out) {\n"
    "  let cmd = 'convert ' + src;\n"
    "  cmd += ' -resize 128x128 ' + out;\n"
    "  return childProcess.execSync(cmd);\n"
    "}\n",
    "function thumbnail(src, out) {\n"
    "  return childProcess.execFileSync('convert', [src, '-resize', '128x128', out]);\n"
    "}\n",
)
EVAL = (
    "app.post('/calc', (req, res) => {\n"
    "  const result = eval(req.body.expression);\n"
    "  res.json({ result });\n"
    "});\n",
    "app.post('/calc', (req, res) => {\n"
    "  const a = Number(req.body.a);\n  const b = Number(req.body.b);\n"
    "  res.json({ result: a + b });\n"
    "});\n",
)
VM = (
    "const vm = require('vm');\n\n"
    "function runRule(source, facts) {\n"
    "  return vm.runInNewContext(source, { facts });\n"
    "}\n",
    "const RULES = { adult: (facts) => facts.age >= 18, member: (facts) => Boolean(facts.memberId) };\n\n"
    "function runRule(name, facts) {\n"
    "  const rule = RULES[name];\n"
    "  return rule ? rule(facts) : false;\n"
    "}\n",
)
PATH_REQUEST = (
    "const fs = require('fs');\nconst path = require('path');\n\n"
    "app.get('/files', (req, res) => {\n"
    "  const file = path.join(__dirname, 'uploads', req.query.name);\n"
    "  fs.readFile(file, (err, data) => (err ? res.sendStatus(404) : res.send(data)));\n"
    "});\n",
    "const fs = require('fs');\nconst path = require('path');\nconst ROOT = path.join(__dirname, 'uploads');\n\n"
    "app.get('/files', (req, res) => {\n"
    "  const file = path.resolve(ROOT, String(req.query.name));\n"
    "  if (!file.startsWith(ROOT + path.sep)) {\n    return res.sendStatus(403);\n  }\n"
    "  fs.readFile(file, (err, data) => (err ? res.sendStatus(404) : res.send(data)));\n"
    "});\n",
)
XSS_RESPONSE = (
    "app.get('/search', (req, res) => {\n"
    "  const q = req.query.q || '';\n"
    "  res.send(`<h1>Results for ${q}</h1>`);\n"
    "});\n",
    "const escapeHtml = require('escape-html');\n\n"
    "app.get('/search', (req, res) => {\n"
    "  const q = escapeHtml(req.query.q || '');\n"
    "  res.send(`<h1>Results for ${q}</h1>`);\n"
    "});\n",
)
DOM_XSS = (
    "function showGreeting() {\n"
    "  const name = new URLSearchParams(window.location.search).get('name');\n"
    "  document.getElementById('greeting').innerHTML = 'Hello, ' + name;\n"
    "}\n",
    "function showGreeting() {\n"
    "  const name = new URLSearchParams(window.location.search).get('name');\n"
    "  document.getElementById('greeting').textContent = 'Hello, ' + name;\n"
    "}\n",
)
DOM_MARKUP = (
    "function renderBadge(el, name) {\n"
    "  el.innerHTML = '<span class=\"badge\">' + name + '</span>';\n"
    "}\n",
    "function renderBadge(el, name) {\n"
    "  const span = document.createElement('span');\n  span.className = 'badge';\n  span.textContent = name;\n"
    "  el.replaceChildren(span);\n"
    "}\n",
)
SQL = (
    "async function findOrders(pool, customer, status) {\n"
    "  let sql = 'SELECT id, total FROM orders WHERE customer_id = ' + customer;\n"
    "  if (status) {\n    sql += \" AND status = '\" + status + \"'\";\n  }\n"
    "  const { rows } = await pool.query(sql);\n  return rows;\n"
    "}\n",
    "async function findOrders(pool, customer, status) {\n"
    "  let sql = 'SELECT id, total FROM orders WHERE customer_id = $1';\n  const params = [customer];\n"
    "  if (status) {\n    sql += ' AND status = $2';\n    params.push(status);\n  }\n"
    "  const { rows } = await pool.query(sql, params);\n  return rows;\n"
    "}\n",
)
NOSQL = (
    "app.post('/login', async (req, res) => {\n"
    "  const user = await User.findOne({ email: req.body.email, password: req.body.password });\n"
    "  res.json({ ok: Boolean(user) });\n"
    "});\n",
    "app.post('/login', async (req, res) => {\n"
    "  const user = await User.findOne({ email: String(req.body.email) });\n"
    "  const ok = Boolean(user) && (await bcrypt.compare(String(req.body.password), user.passwordHash));\n"
    "  res.json({ ok });\n"
    "});\n",
)
REDIRECT = (
    "app.get('/login/done', (req, res) => {\n"
    "  res.redirect(req.query.next || '/');\n"
    "});\n",
    "app.get('/login/done', (req, res) => {\n"
    "  const next = String(req.query.next || '/');\n"
    "  if (!next.startsWith('/') || next.startsWith('//')) {\n    return res.redirect('/');\n  }\n"
    "  res.redirect(next);\n"
    "});\n",
)
SSRF = (
    "const axios = require('axios');\n\n"
    "app.get('/preview', async (req, res) => {\n"
    "  const page = await axios.get(req.query.url);\n"
    "  res.json({ title: page.data.slice(0, 80) });\n"
    "});\n",
    "const axios = require('axios');\n\n"
    "app.get('/preview', async (req, res) => {\n"
    "  const page = await axios.get('https://docs.example.com/pages/' + encodeURIComponent(req.query.slug));\n"
    "  res.json({ title: page.data.slice(0, 80) });\n"
    "});\n",
)
REGEX = (
    "app.get('/users', (req, res) => {\n"
    "  const re = new RegExp('^' + req.query.prefix, 'i');\n"
    "  res.json(users.filter((u) => re.test(u.name)));\n"
    "});\n",
    "const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&');\n\n"
    "app.get('/users', (req, res) => {\n"
    "  const re = new RegExp('^' + escapeRegExp(String(req.query.prefix)), 'i');\n"
    "  res.json(users.filter((u) => re.test(u.name)));\n"
    "});\n",
)
POLLUTION = (
    "function setPath(target, dotted, value) {\n"
    "  const [section, key] = dotted.split('.');\n"
    "  target[section] = target[section] || {};\n"
    "  target[section][key] = value;\n"
    "  return target;\n"
    "}\n",
    "function setPath(target, dotted, value) {\n"
    "  const [section, key] = dotted.split('.');\n"
    "  if ([section, key].some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) {\n"
    "    throw new Error('bad key');\n  }\n"
    "  target[section] = target[section] || {};\n"
    "  target[section][key] = value;\n"
    "  return target;\n"
    "}\n",
)
XXE = (
    "const libxmljs = require('libxmljs');\n\n"
    "app.post('/import', (req, res) => {\n"
    "  const doc = libxmljs.parseXml(req.body.xml, { noent: true });\n"
    "  res.json({ items: doc.find('//item').length });\n"
    "});\n",
    "const libxmljs = require('libxmljs');\n\n"
    "app.post('/import', (req, res) => {\n"
    "  const doc = libxmljs.parseXml(req.body.xml, { noent: false, nonet: true });\n"
    "  res.json({ items: doc.find('//item').length });\n"
    "});\n",
)
DESERIALIZE = (
    "const serialize = require('node-serialize');\n\n"
    "app.get('/prefs', (req, res) => {\n"
    "  const prefs = serialize.unserialize(Buffer.from(req.cookies.prefs, 'base64').toString());\n"
    "  res.json(prefs);\n"
    "});\n",
    "app.get('/prefs', (req, res) => {\n"
    "  const prefs = JSON.parse(Buffer.from(req.cookies.prefs, 'base64').toString());\n"
    "  res.json(prefs);\n"
    "});\n",
)
HEADER = (
    "app.get('/export', (req, res) => {\n"
    "  res.setHeader('Content-Disposition', 'attachment; filename=' + req.query.name);\n"
    "  res.send(report);\n"
    "});\n",
    "app.get('/export', (req, res) => {\n"
    "  res.setHeader('Content-Disposition', 'attachment; filename=' + encodeURIComponent(req.query.name));\n"
    "  res.send(report);\n"
    "});\n",
)
LOG = (
    "app.post('/login', (req, res) => {\n"
    "  logger.info('login attempt for ' + req.body.username);\n"
    "  res.sendStatus(204);\n"
    "});\n",
    "app.post('/login', (req, res) => {\n"
    "  logger.info('login attempt for ' + String(req.body.username).replace(/[\\r\\n]/g, ' '));\n"
    "  res.sendStatus(204);\n"
    "});\n",
)

JS_DATAFLOW_EXAMPLES: dict[str, tuple[str, str, str]] = {
    "treeplay-js-command-injection": ("javascript", *COMMAND),
    "treeplay-js-shell-command-concatenated": ("javascript", *COMMAND_CONCAT),
    "treeplay-js-eval-injection": ("javascript", *EVAL),
    "treeplay-js-vm-code-injection": ("javascript", *VM),
    "treeplay-js-path-traversal": ("javascript", *PATH_REQUEST),
    "treeplay-js-xss-response": ("javascript", *XSS_RESPONSE),
    "treeplay-js-dom-xss": ("javascript", *DOM_XSS),
    "treeplay-js-dom-markup-from-caller": ("javascript", *DOM_MARKUP),
    "treeplay-js-sql-injection": ("javascript", *SQL),
    "treeplay-js-nosql-injection": ("javascript", *NOSQL),
    "treeplay-js-open-redirect": ("javascript", *REDIRECT),
    "treeplay-js-ssrf": ("javascript", *SSRF),
    "treeplay-js-regex-injection": ("javascript", *REGEX),
    "treeplay-js-prototype-pollution-key": ("javascript", *POLLUTION),
    "treeplay-js-xxe-noent": ("javascript", *XXE),
    "treeplay-js-unsafe-deserialization": ("javascript", *DESERIALIZE),
    "treeplay-js-header-injection": ("javascript", *HEADER),
    "treeplay-js-log-injection": ("javascript", *LOG),
}
