"""A vulnerable and a fixed example per dataflow rule (``treeplay.oracles.dataflow``), written for these tests.

``FLOW[name] = (vulnerable, fixed)``: the default pack's ``treeplay-py-flow-<name>`` and, where CodeQL has the
query, the paper pack's ``treeplay-cq-py-<name>`` must flag ``vulnerable`` and stay silent on ``fixed``. Input
comes from flask's request, a source of both packs. ``PAPER[rule id]`` holds the paper pack's other rules.
"""

from __future__ import annotations

APP = "from flask import Flask, request\napp = Flask(__name__)\n\n"


def route(body: str, imports: str = "") -> str:
    """A flask route reading ``q`` from the query string, with ``body`` indented into it."""
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"{imports}{APP}@app.route('/x')\ndef view():\n    q = request.args.get('q', '')\n{lines}"


FLOW = {
    "command-injection": (
        route("os.system('ping -c 1 ' + q)\nreturn 'ok'", "import os\n"),
        route("subprocess.run(['ping', '-c', '1', q], check=False)\nreturn 'ok'", "import subprocess\n"),
    ),
    "code-injection": (
        route("return str(eval(q))"),
        route("return str(ast.literal_eval(q))", "import ast\n"),
    ),
    "sql-injection": (
        route("cur = db.cursor()\ncur.execute(\"SELECT * FROM t WHERE name = '%s'\" % q)\nreturn str(cur.fetchall())",
              "import sqlite3\ndb = sqlite3.connect('a.db')\n"),
        route("cur = db.cursor()\ncur.execute('SELECT * FROM t WHERE name = ?', (q,))\nreturn str(cur.fetchall())",
              "import sqlite3\ndb = sqlite3.connect('a.db')\n"),
    ),
    "path-injection": (
        route("with open('/srv/files/' + q) as fh:\n    data = fh.read()\nreturn 'ok'"),
        route("with open(os.path.join('/srv/files', os.path.basename(q))) as fh:\n    data = fh.read()\nreturn 'ok'",
              "import os\n"),
    ),
    "reflected-xss": (
        route("return '<p>Hello ' + q + '</p>'"),
        route("return '<p>Hello ' + escape(q) + '</p>'", "from markupsafe import escape\n"),
    ),
    "url-redirection": (
        route("return redirect(q)", "from flask import redirect\n"),
        route("if q in ALLOWED:\n    return redirect(q)\nreturn redirect('/')",
              "from flask import redirect\nALLOWED = {'/home', '/help'}\n"),
    ),
    "ldap-injection": (
        route("conn = ldap.initialize('ldap://localhost')\n"
              "res = conn.search_s('dc=example', ldap.SCOPE_SUBTREE, '(uid=' + q + ')')\nreturn str(len(res))",
              "import ldap\n"),
        route("conn = ldap.initialize('ldap://localhost')\nuid = ldap.filter.escape_filter_chars(q)\n"
              "res = conn.search_s('dc=example', ldap.SCOPE_SUBTREE, '(uid=' + uid + ')')\nreturn str(len(res))",
              "import ldap\nimport ldap.filter\n"),
    ),
    "xpath-injection": (
        route("tree = etree.parse('users.xml')\nreturn str(tree.xpath(\"//user[@name='\" + q + \"']\"))",
              "from lxml import etree\n"),
        route("tree = etree.parse('users.xml')\nreturn str(tree.xpath('//user[@name=$name]', name=q))",
              "from lxml import etree\n"),
    ),
    "xxe": (
        route("root = etree.fromstring(q)\nreturn root.tag", "from lxml import etree\n"),
        route("parser = etree.XMLParser(resolve_entities=False)\nroot = etree.fromstring(q, parser)\n"
              "return root.tag", "from lxml import etree\n"),
    ),
    "unsafe-deserialization": (
        route("obj = pickle.loads(base64.b64decode(q))\nreturn str(obj)", "import base64\nimport pickle\n"),
        route("obj = json.loads(base64.b64decode(q))\nreturn str(obj)", "import base64\nimport json\n"),
    ),
    "ssrf": (
        route("r = requests.get(q, timeout=5)\nreturn 'ok'", "import requests\n"),
        route("r = requests.get('https://api.example.com/items', params={'id': q}, timeout=5)\nreturn 'ok'",
              "import requests\n"),
    ),
    "regex-injection": (
        route("hits = re.findall(q, TEXT)\nreturn str(len(hits))", "import re\nTEXT = 'abc'\n"),
        route("hits = re.findall(re.escape(q), TEXT)\nreturn str(len(hits))", "import re\nTEXT = 'abc'\n"),
    ),
    "nosql-injection": (
        route("user = db.users.find_one(json.loads(q))\nreturn 'ok'",
              "import json\nfrom pymongo import MongoClient\ndb = MongoClient().app\n"),
        route("user = db.users.find_one({'name': str(q)})\nreturn 'ok'",
              "from pymongo import MongoClient\ndb = MongoClient().app\n"),
    ),
    "xslt-injection": (
        route("xslt = etree.XSLT(etree.fromstring(q))\nreturn 'ok'", "from lxml import etree\n"),
        route("xslt = etree.XSLT(etree.parse('style.xsl'))\nreturn 'ok'", "from lxml import etree\n"),
    ),
    "template-injection": (
        route("return render_template_string('<p>' + q + '</p>')", "from flask import render_template_string\n"),
        route("return render_template_string('<p>{{ q }}</p>', q=q)", "from flask import render_template_string\n"),
    ),
    "log-injection": (
        route("logging.info('search: ' + q)\nreturn 'ok'", "import logging\n"),
        route("logging.info('search: %d characters', len(q))\nreturn 'ok'", "import logging\n"),
    ),
    "header-injection": (
        route("resp = make_response('ok')\nresp.headers['X-Query'] = q\nreturn resp",
              "from flask import make_response\n"),
        route("resp = make_response('ok')\nresp.headers['X-Query'] = str(len(q))\nreturn resp",
              "from flask import make_response\n"),
    ),
}

# The paper pack only: stack traces to the client (the source is the exception, not the request).
STACK_TRACE = (
    APP + "@app.route('/x')\ndef view():\n    try:\n        return str(1 / 0)\n"
          "    except Exception as e:\n        return 'Error: ' + str(e)\n",
    APP + "@app.route('/x')\ndef view():\n    try:\n        return str(1 / 0)\n"
          "    except Exception as e:\n        app.logger.error('failed: %s', e)\n        return 'Error', 500\n",
)

P = "treeplay-cq-py-"
PAPER = {
    P + "stack-trace-exposure": STACK_TRACE,
    P + "flask-debug": (APP + "app.run(debug=True)\n", APP + "app.run(debug=False)\n"),
    P + "jinja2-autoescape-false": (
        "from jinja2 import Environment, FileSystemLoader\nenv = Environment(loader=FileSystemLoader('t'))\n",
        "from jinja2 import Environment, FileSystemLoader, select_autoescape\n"
        "env = Environment(loader=FileSystemLoader('t'), autoescape=select_autoescape())\n",
    ),
    P + "jinja2-autoescape-false-explicit": (
        "import jinja2\nenv = jinja2.Environment(autoescape=False)\n",
        "import jinja2\nenv = jinja2.Environment(autoescape=True)\n",
    ),
    P + "weak-crypto-key": (
        "from Crypto.PublicKey import RSA\nkey = RSA.generate(1024)\n",
        "from Crypto.PublicKey import RSA\nkey = RSA.generate(3072)\n",
    ),
    P + "insecure-protocol": (
        "import ssl\nctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1)\n",
        "import ssl\nctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nctx.minimum_version = ssl.TLSVersion.TLSv1_2\n",
    ),
    P + "default-context-old-tls": (
        "import socket\nimport ssl\n\ndef connect(host):\n    ctx = ssl.create_default_context()\n"
        "    return ctx.wrap_socket(socket.create_connection((host, 443)), server_hostname=host)\n",
        "import socket\nimport ssl\n\ndef connect(host):\n    ctx = ssl.create_default_context()\n"
        "    ctx.minimum_version = ssl.TLSVersion.TLSv1_2\n"
        "    return ctx.wrap_socket(socket.create_connection((host, 443)), server_hostname=host)\n",
    ),
    P + "bad-tag-filter": (
        "import re\n\ndef strip(html):\n    return re.sub(r'<script.*?>.*?</script\\s*>', '', html)\n",
        "import re\n\ndef strip(html):\n    return re.sub(r'<script.*?>.*?</script\\s*>', '', html, flags=re.I)\n",
    ),
    P + "bad-tag-filter-end-tag": (
        "import re\n\ndef strip(html):\n    return re.sub(r'<script[^>]*>.*?</script>', '', html, flags=re.I)\n",
        "import re\n\ndef strip(html):\n    return re.sub(r'<script[^>]*>.*?</script[^>]*>', '', html, flags=re.I)\n",
    ),
    P + "hardcoded-credentials": (
        "import pymysql\n\ndef connect():\n"
        "    return pymysql.connect(host='db', user='app', password='Xk29ffPq77zz')\n",
        "import os\nimport pymysql\n\ndef connect():\n"
        "    return pymysql.connect(host='db', user='app', password=os.environ['DB_PASSWORD'])\n",
    ),
    P + "clear-text-logging": (
        "import logging\n\ndef login(user, password):\n    logging.info('login %s with %s', user, password)\n",
        "import logging\n\ndef login(user, password):\n    logging.info('login %s', user)\n",
    ),
    P + "weak-sensitive-data-hashing": (
        "import hashlib\n\ndef store(password):\n    return hashlib.sha256(password.encode()).hexdigest()\n",
        "import hashlib\nimport os\n\ndef store(password):\n    salt = os.urandom(16)\n"
        "    return hashlib.pbkdf2_hmac('sha256', password.encode(), salt, 600000)\n",
    ),
}

# Where the two packs differ on purpose: local input and Django views count for the default pack only.
LOCAL_INPUT = "import os\n\ndef main():\n    host = input('host: ')\n    os.system('ping -c 1 ' + host)\n"
DJANGO_VIEW = ("from django.http import HttpResponse\n\ndef greet(request):\n"
               "    return HttpResponse('<p>' + request.GET.get('name', '') + '</p>')\n")
# A call CodeQL has no model for stops the flow in both packs (the result of render() is not the input).
UNMODELED = route("out = template.render(name=q)\nreturn out", "from jinja2 import Environment\n"
                  "template = Environment(autoescape=True).from_string('<p>{{ name }}</p>')\n")
