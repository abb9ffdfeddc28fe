"""Dataflow rules for Python: where untrusted input comes from, where it must not arrive, what makes it safe.

Two rule packs are built from one table of sources, sinks and sanitizers and handed to semgrep's taint mode
(``mode: taint``; intraprocedural in the open-source engine, which is what generated functions need):

- ``default``: untrusted input is anything a remote client sends (flask's ``request``, a Django view's
  ``request``, a flask route's URL parameters) and what a local user or the environment supplies (``input()``,
  ``sys.argv``, ``os.environ``, standard input). It joins treeplay's pattern rules in the ``semgrep`` analyzer:
  the rules there take a function's parameters as untrusted, these add the places a program reads input itself.
- ``paper``: the rules of the ``codeql-compat`` analyzer, which reproduces what CodeQL's Python security queries
  report, as the paper's SPR@1 was computed: remote sources only (CodeQL's default threat model does not count
  ``input()`` or ``sys.argv``), the same sinks, and the queries that are not taint tracking (a Flask app run in
  debug mode, Jinja2 without autoescaping, weak keys and TLS versions, hard-coded credentials, sensitive data
  logged or hashed with a fast hash, bad HTML-filtering regular expressions). Each rule names the CodeQL query
  it stands for in ``metadata.codeql``.

The packs are written once per content hash to the user cache (``rule_file``), like CodeShield's filtered Java
bundle, so the finding cache's key (semgrep's version and a hash of every rule file) follows any change here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from treeplay.oracles.analyzer_tools import write_rule_file

PACKS = ("default", "paper")

Pattern = dict[str, Any]


def _either(*patterns: str) -> Pattern:
    return {"pattern-either": [{"pattern": p} for p in patterns]}


def _focus(pattern: str, var: str, *extra: Pattern) -> Pattern:
    """``pattern``, reported (and matched as a sink or source) at metavariable ``var`` only."""
    return {"patterns": [{"pattern": pattern}, *extra, {"focus-metavariable": var}]}


def _regex(var: str, regex: str) -> Pattern:
    return {"metavariable-regex": {"metavariable": var, "regex": regex}}


def _module_optional(dotted: str) -> str:
    """``flask.make_response`` -> ``(flask\\.)?make_response``: a call as written, with or without its module."""
    module, _, name = dotted.rpartition(".")
    return rf"({re.escape(module)}\.)?{name}"


def _route_function(body: str = "def $F(...):\n  ...") -> list[Pattern]:
    """A function registered as a flask (or flask-like) route."""
    return [{"pattern-either": [{"pattern-inside": f"@$APP.{deco}(...)\n{body}\n"}
                                for deco in ("route", "get", "post", "put", "delete", "patch")]}]


# ---------------------------------------------------------------------------------------------------- sources

_REQUEST_DATA = (r"^(args|form|values|data|json|files|cookies|headers|get_json|get_data|stream|url|base_url|"
                 r"path|full_path|query_string|environ|view_args|referrer|user_agent|authorization|host)$")
_DJANGO_DATA = r"^(GET|POST|body|COOKIES|META|FILES|headers|query_params|data|path|path_info)$"

FLASK_SOURCES: list[Pattern] = [
    {"patterns": [{"pattern": "flask.request.$A"}, _regex("$A", _REQUEST_DATA)]},
    # a flask route's URL parameters (/<name>) are the client's
    {"patterns": [*_route_function("def $F(..., $P, ...):\n  ..."), {"focus-metavariable": "$P"}]},
]
# A Django view's request. CodeQL only knows a function is a view from the URL configuration, which a single
# generated file rarely has, so the paper pack leaves these out.
DJANGO_SOURCES: list[Pattern] = [
    {"patterns": [{"pattern-either": [{"pattern": "$REQ.$A"}, {"pattern": "$REQ.$A.get(...)"}]},
                  _regex("$REQ", r"^(request|req)$"), _regex("$A", _DJANGO_DATA)]},
]
LOCAL_SOURCES: list[Pattern] = [
    _either("input(...)", "raw_input(...)", "sys.argv", "os.environ", "os.environ.get(...)", "os.getenv(...)",
            "sys.stdin", "sys.stdin.read(...)", "sys.stdin.readline(...)", "fileinput.input(...)"),
]

# ------------------------------------------------------------------------------------------------ sanitizers

_NUMERIC = _either("int(...)", "float(...)", "bool(...)", "len(...)", "uuid.UUID(...)")
_HTML_SAFE = _either("html.escape(...)", "markupsafe.escape(...)", "flask.escape(...)", "escape(...)",
                     "$M.escape(...)", "bleach.clean(...)", "cgi.escape(...)", "flask.jsonify(...)",
                     "flask.render_template(...)", "django.shortcuts.render(...)", "json.dumps(...)",
                     "flask.redirect(...)", "flask.url_for(...)", "flask.send_file(...)",
                     "flask.send_from_directory(...)", "flask.abort(...)", "django.http.JsonResponse(...)")
_PATH_SAFE = _either("os.path.basename(...)", "werkzeug.utils.secure_filename(...)", "secure_filename(...)",
                     "flask.safe_join(...)", "werkzeug.security.safe_join(...)", "safe_join(...)")
_SHELL_SAFE = _either("shlex.quote(...)", "pipes.quote(...)")
_LDAP_SAFE = _either("ldap.filter.escape_filter_chars(...)", "ldap.dn.escape_dn_chars(...)",
                     "ldap3.utils.conv.escape_filter_chars(...)", "escape_filter_chars(...)",
                     "escape_dn_chars(...)", "ldap3.utils.dn.escape_rdn(...)")
_REDIRECT_SAFE = _either("url_has_allowed_host_and_scheme(...)", "is_safe_url(...)", "flask.url_for(...)")


# CodeQL follows a value through the library calls it has models for (string methods, formatting, os.path,
# urllib.parse, containers) and through the sinks; semgrep assumes every call passes taint on. The paper pack
# makes every other call's result clean: e.g. a template's render() or jwt.encode() stop the flow.
_STEPS = (r"str|repr|bytes|bytearray|format|list|tuple|dict|set|sorted|reversed|min|max|getattr|"
          r"os\.path\.\w+|posixpath\.\w+|urllib\.parse\.\w+|urlparse\.\w+|base64\.\w+|json\.loads|"
          r"io\.StringIO|io\.BytesIO|StringIO|BytesIO|"
          r".*\.(get|getlist|lower|upper|strip|lstrip|rstrip|replace|split|rsplit|splitlines|join|format|"
          r"format_map|partition|rpartition|title|capitalize|casefold|removeprefix|removesuffix|read|readline|"
          r"readlines|items|values|keys|copy|pop|to_dict|get_json|get_data|encode|decode|hexdigest|digest)")
# The calls each rule's sinks are made of (a sanitizer over a sink's own call would hide the sink). Matched on
# the call as written, so a module prefix is optional (``from lxml import etree`` then ``etree.fromstring``).
_M = r"(\w+\.)*"
# The calls that build an HTTP response from a body; a module prefix is optional where they are matched by name.
_RESPONSES = ("flask.make_response", "flask.Response", "werkzeug.wrappers.Response", "django.http.HttpResponse")
_XSS_CALLS = _M + "(" + "|".join(sorted({r.rsplit(".", 1)[1] for r in _RESPONSES})) + ")"
SINK_CALLS = {
    "command-injection": _M + r"(system|popen\w*|exec\w*|spawn\w*|call|check_call|check_output|run|Popen|"
                              r"getoutput|getstatusoutput)",
    "code-injection": r"eval|exec",
    "sql-injection": _M + r"(text|execute|executemany|executescript|raw|mogrify)",
    "path-injection": _M + r"(open|remove|unlink|rmdir|listdir|scandir|makedirs|mkdir|rename|chmod|stat|copy\w*|"
                           r"move|rmtree|send_file|ZipFile|Path|save)",
    "reflected-xss": _XSS_CALLS,
    "stack-trace-exposure": _XSS_CALLS,
    "url-redirection": _M + r"(redirect|HttpResponseRedirect)",
    "ldap-injection": _M + r"search\w*",
    "xpath-injection": _M + r"(XPath|ETXPath|xpath|find|findall)",
    "xxe": _M + r"(fromstring|XML|parse)",
    "unsafe-deserialization": _M + r"(loads|load|decode|open|unsafe_load|full_load)",
    "ssrf": _M + r"(get|post|put|delete|head|patch|request|urlopen|HTTPConnection|HTTPSConnection)",
    "regex-injection": _M + r"(compile|match|fullmatch|search|findall|finditer|sub|subn|split)",
    "nosql-injection": _M + r"(find|find_one\w*|delete_\w+|update_\w+|aggregate|count_documents)",
    "xslt-injection": _M + r"(XSLT|fromstring|parse|XML)",
    "clear-text-logging": r"print|" + _M + r"(info|warning|error|debug|critical|exception|log)",
    "weak-sensitive-data-hashing": _M + r"(md5|sha1|sha224|sha256|sha384|sha512|new|update)",
    "template-injection": _M + r"(render_template_string|Template|from_string)",
    "log-injection": _M + r"(info|warning|error|debug|critical|exception|log)",
    "header-injection": _M + r"set_cookie",
}


def _unmodeled_call(rule: str, keep: str = "") -> Pattern:
    """A call that is neither a known step nor one of ``rule``'s sinks (nor matches ``keep``): its result is
    clean."""
    return {"patterns": [{"pattern": "$CALLEE(...)"},
                         _regex("$CALLEE", rf"^(?!({_STEPS}|{SINK_CALLS[rule]})$){keep}")]}


def _guarded(test: str) -> Pattern:
    """A value is safe inside ``if <test on it>:`` (a containment or allow-list check)."""
    return {"patterns": [{"pattern-inside": f"if <... {test} ...>:\n  ...\n"}, {"pattern": "$V"}]}


_PATH_GUARD = _guarded("$V.startswith(...)")
_ALLOW_LIST = _guarded("$V in $ALLOWED")

# ----------------------------------------------------------------------------------------------------- sinks

# (rule suffix, CWE, severity, CodeQL query, message, sinks, extra sanitizers)
TaintSpec = tuple[str, str, str, str | None, str, list[Pattern], list[Pattern]]

_RESPONSE_BODY = _focus("$R($BODY, ...)", "$BODY",
                        _regex("$R", "^(" + "|".join(_module_optional(r) for r in _RESPONSES) + ")$"))
# what a route returns is its response body, except a dict or list, which flask sends as JSON
_ROUTE_RETURN = {"patterns": [*_route_function(), {"pattern": "return $X"}, {"pattern-not": "return {...}"},
                              {"pattern-not": "return [...]"},
                              *({"pattern-not": f"return {r}(...)"} for r in _RESPONSES),  # judged by its body
                              {"focus-metavariable": "$X"}]}
# a response object is judged where its body is given, not again where it is returned
_RESPONSE_OBJECT = {"patterns": [{"pattern-either": [{"pattern-inside": f"$V = {r}(...)\n...\n"} for r in _RESPONSES]},
                                 {"pattern": "$V"}]}
# an exception's text or a stack trace: the source of stack-trace exposure
_EXCEPTION_TEXT = {"pattern-either": [
    {"pattern": "traceback.format_exc(...)"}, {"pattern": "traceback.format_exception(...)"},
    {"patterns": [{"pattern-inside": "try:\n  ...\nexcept $T as $E:\n  ...\n"}, {"pattern": "$E"}]}]}

_SUBPROCESS = r"^(call|check_call|check_output|run|Popen)$"
_XML_TREE = _regex("$T", r"(?i)(tree|root|doc|xml)")
TAINT: list[TaintSpec] = [
    ("command-injection", "CWE-78", "ERROR", "py/command-line-injection",
     "Untrusted input reaches a command that is run (os.system, subprocess, os.exec*): it can run commands of "
     "its own.",
     [_either("os.system(...)", "os.popen(...)", "os.popen2(...)", "os.popen3(...)", "commands.getoutput(...)",
              "commands.getstatusoutput(...)", "subprocess.getoutput(...)", "subprocess.getstatusoutput(...)",
              "os.execl(...)", "os.execle(...)", "os.execlp(...)", "os.execv(...)", "os.execve(...)",
              "os.execvp(...)", "os.spawnl(...)", "os.spawnv(...)", "os.spawnlp(...)", "os.spawnvp(...)"),
      # a command line (string), or the program of an argument list: arguments after it are data
      _focus("subprocess.$F($CMD, ...)", "$CMD", _regex("$F", _SUBPROCESS),
             {"pattern-not": "subprocess.$F([...], ...)"}),
      _focus("subprocess.$F([$EXE, ...], ...)", "$EXE", _regex("$F", _SUBPROCESS))],
     [_SHELL_SAFE, _ALLOW_LIST]),
    ("code-injection", "CWE-94", "ERROR", "py/code-injection",
     "Untrusted input is evaluated as Python code (eval, exec): it can run code of its own.",
     [_focus("$F($CODE, ...)", "$CODE", _regex("$F", r"^(eval|exec)$"))],
     [_ALLOW_LIST]),
    ("sql-injection", "CWE-89", "ERROR", "py/sql-injection",
     "Untrusted input is part of an SQL statement's text: pass it as a query parameter instead.",
     [_focus("$C.$F($Q, ...)", "$Q", _regex("$F", r"^(execute|executemany|executescript|raw|mogrify)$")),
      _focus("sqlalchemy.text($Q)", "$Q")],
     []),
    ("path-injection", "CWE-22", "ERROR", "py/path-injection",
     "Untrusted input is used as a file path: '../' or an absolute path reaches files outside the intended "
     "folder.",
     [_focus("$F($P, ...)", "$P", _regex("$F", r"^(open|io\.open|codecs\.open|os\.open|os\.remove|os\.unlink|"
                                              r"os\.rmdir|os\.listdir|os\.scandir|os\.makedirs|os\.mkdir|"
                                              r"os\.rename|os\.chmod|os\.stat|shutil\.\w+|(flask\.)?send_file|"
                                              r"tarfile\.open|zipfile\.ZipFile|pathlib\.Path)$")),
      _focus("$FILE.save($P, ...)", "$P")],
     [_PATH_SAFE, _PATH_GUARD, _ALLOW_LIST]),
    ("reflected-xss", "CWE-79", "ERROR", "py/reflective-xss",
     "Untrusted input is written into an HTML response without escaping it (cross-site scripting).",
     [_ROUTE_RETURN, _RESPONSE_BODY],
     [_HTML_SAFE, _RESPONSE_OBJECT]),
    ("url-redirection", "CWE-601", "ERROR", "py/url-redirection",
     "Untrusted input decides where the client is redirected: an attacker sends users to a site of theirs.",
     [_focus("$F($URL, ...)", "$URL", _regex("$F", r"^(flask\.redirect|redirect|django\.shortcuts\.redirect|"
                                                  r"django\.http\.HttpResponseRedirect|HttpResponseRedirect)$"))],
     [_REDIRECT_SAFE, _ALLOW_LIST, _guarded("$V.startswith(...)")]),
    ("ldap-injection", "CWE-90", "ERROR", "py/ldap-injection",
     "Untrusted input is part of an LDAP filter or DN without escaping: it changes what the query matches.",
     [{"patterns": [{"pattern-either": [{"pattern-inside": f"$L = {lib}(...)\n...\n"}
                                        for lib in ("ldap.initialize", "ldap3.Connection", "ldap.open")]
                    + [{"pattern-inside": "with ldap3.Connection(...) as $L:\n  ...\n"}]},
                   _either("$L.search_s(...)", "$L.search_ext_s(...)", "$L.search(...)", "$L.search_st(...)",
                           "$L.search_ext(...)")]}],
     [_LDAP_SAFE]),
    ("xpath-injection", "CWE-643", "ERROR", "py/xpath-injection",
     "Untrusted input is part of an XPath expression: it changes what the query selects.",
     [_focus("$T.xpath($Q, ...)", "$Q"), _focus("lxml.etree.XPath($Q, ...)", "$Q"),
      _focus("lxml.etree.ETXPath($Q, ...)", "$Q"), _focus("$T.find($Q, ...)", "$Q", _XML_TREE),
      _focus("$T.findall($Q, ...)", "$Q", _XML_TREE)],
     []),
    ("xxe", "CWE-611", "ERROR", "py/xxe",
     "Untrusted XML is parsed by lxml with its default parser, which resolves external entities (XXE).",
     [{"patterns": [_either("lxml.etree.fromstring($X, ...)", "lxml.etree.XML($X, ...)",
                            "lxml.etree.parse($X, ...)"),
                    {"pattern-not": "lxml.etree.$F($X, $PARSER, ...)"},
                    {"focus-metavariable": "$X"}]}],
     []),
    ("unsafe-deserialization", "CWE-502", "ERROR", "py/unsafe-deserialization",
     "Untrusted data is deserialized with a loader that can build any object (pickle, marshal, yaml.load): it "
     "runs code of the sender's choosing.",
     [_either("pickle.loads(...)", "pickle.load(...)", "cPickle.loads(...)", "_pickle.loads(...)",
              "marshal.loads(...)", "dill.loads(...)", "jsonpickle.decode(...)", "shelve.open(...)",
              "yaml.unsafe_load(...)", "yaml.full_load(...)"),
      {"patterns": [{"pattern": "yaml.load(...)"}, {"pattern-not": "yaml.load(..., Loader=yaml.SafeLoader)"},
                    {"pattern-not": "yaml.load(..., Loader=yaml.CSafeLoader)"}]}],
     []),
    ("ssrf", "CWE-918", "ERROR", "py/full-ssrf",
     "Untrusted input decides the URL of an outgoing request (server-side request forgery).",
     [_focus("$F($URL, ...)", "$URL", _regex("$F", r"^(requests\.(get|post|put|delete|head|patch|request)|"
                                                  r"urllib\.request\.urlopen|urllib2\.urlopen|httpx\.\w+|"
                                                  r"http\.client\.(HTTPConnection|HTTPSConnection))$"))],
     [_ALLOW_LIST]),
    ("regex-injection", "CWE-730", "WARNING", "py/regex-injection",
     "Untrusted input is used as a regular expression: it can make matching take exponential time.",
     [_focus("re.$F($P, ...)", "$P", _regex("$F", r"^(compile|match|fullmatch|search|findall|finditer|sub|subn|"
                                                 r"split)$"))],
     [_either("re.escape(...)")]),
    ("nosql-injection", "CWE-943", "ERROR", "py/nosql-injection",
     "An untrusted object (parsed from input) is used as a MongoDB query: operators like $where or $ne in it "
     "change what the query matches.",
     [_focus("$C.$F($Q, ...)", "$Q", _regex("$F", r"^(find|find_one|find_one_and_update|delete_one|delete_many|"
                                                 r"update_one|update_many|aggregate|count_documents)$"),
             _regex("$C", r"(?i)(db|coll|collection|mongo|users|client)"),
             {"pattern-not": "$C.$F({...}, ...)"})],  # a dict written in the code: its values are data
     []),
    ("xslt-injection", "CWE-643", "ERROR", "py/xslt-injection",
     "An untrusted stylesheet is compiled by lxml's XSLT: it can read files and run extension code.",
     [_either("lxml.etree.XSLT(...)")],
     []),
    ("stack-trace-exposure", "CWE-209", "ERROR", "py/stack-trace-exposure",
     "An exception's message or stack trace is sent to the client: it tells an attacker about the program.",
     [_ROUTE_RETURN, _RESPONSE_BODY],
     [_RESPONSE_OBJECT]),
]
_DEFAULT_ONLY: list[TaintSpec] = [  # no CodeQL query of the default suite; the default pack wants them
    ("template-injection", "CWE-1336", "ERROR", None,
     "Untrusted input is compiled as a template (server-side template injection): it can run code.",
     [_focus("$F($SRC, ...)", "$SRC", _regex("$F", r"^((flask\.)?render_template_string|(jinja2\.)?Template|"
                                                  r"(mako\.template\.)?Template|.*\.from_string)$"))],
     []),
    ("log-injection", "CWE-117", "INFO", None,
     "Untrusted input is written to a log as it came: line breaks in it forge log entries.",
     [_either("logging.$F(...)", "$LOG.info(...)", "$LOG.warning(...)", "$LOG.error(...)", "$LOG.debug(...)")],
     []),
    ("header-injection", "CWE-113", "WARNING", None,
     "Untrusted input is written into a response header: line breaks split the response.",
     [{"patterns": [{"pattern": "$R.headers[$K] = $V"}, {"focus-metavariable": "$V"}]},
      _focus("$R.set_cookie($K, $V, ...)", "$K")],
     []),
]

# -------------------------------------------------------------------------------- the paper pack's own rules

# A name (variable, attribute, called function) that holds a secret, after CodeQL's heuristics.
_SENSITIVE = r"(?i)^(?![\w.]*(hash|crypt|salt|digest|md5|sha|redact|censor|obfuscat|random|length|count|" \
             r"question|hint|policy|strength|field|prompt|label|format|certain|concert|secretar))[\w.]*" \
             r"(pass(wd|word|code|phrase)|secret|private_?key|api_?key|access_?token|credential)[\w.]*$"
_NOT_SENSITIVE = "(?!(?i:" + _SENSITIVE.removeprefix("(?i)^") + "))"  # a call named like a secret returns one
_CREDENTIAL_ARG = r"(?i)^(.*pass(wd|word|code|phrase).*|.*(puid|username|userid).*|.*cert(?!.*(format|name)).*)$"


def _plain(rule_id: str, cwe: str, severity: str, codeql: str, message: str, *patterns: Pattern) -> dict[str, Any]:
    return {"id": rule_id, "languages": ["python"], "severity": severity, "message": message,
            "metadata": {"cwe": cwe, "codeql": codeql}, "patterns": list(patterns)}


_ASYMMETRIC = "cryptography.hazmat.primitives.asymmetric"


def paper_rules() -> list[dict[str, Any]]:
    """The CodeQL queries that are not remote-input taint tracking."""
    p = "treeplay-cq-py-"
    sensitive_source = [{"patterns": [{"pattern": "$S"}, _regex("$S", _SENSITIVE)]},
                        {"patterns": [{"pattern": "$S(...)"}, _regex("$S", _SENSITIVE)]}]
    return [
        _plain(p + "flask-debug", "CWE-489", "ERROR", "py/flask-debug",
               "A Flask app is run in debug mode: the debugger lets anyone who reaches it run code.",
               _either("$APP.run(..., debug=True, ...)")),
        _plain(p + "jinja2-autoescape-false", "CWE-79", "ERROR", "py/jinja2/autoescape-false",
               "A Jinja2 environment without autoescaping renders untrusted values as HTML (XSS).",
               _either("jinja2.Environment(...)", "jinja2.Template(...)"),
               {"pattern-not": "jinja2.Environment(..., autoescape=$A, ...)"},
               {"pattern-not": "jinja2.Template(..., autoescape=$A, ...)"}),
        _plain(p + "jinja2-autoescape-false-explicit", "CWE-79", "ERROR", "py/jinja2/autoescape-false",
               "A Jinja2 environment with autoescape=False renders untrusted values as HTML (XSS).",
               _either("jinja2.Environment(..., autoescape=False, ...)",
                       "jinja2.Template(..., autoescape=False, ...)")),
        _plain(p + "weak-crypto-key", "CWE-326", "ERROR", "py/weak-crypto-key",
               "An RSA or DSA key shorter than 2048 bits can be broken.",
               {"pattern-either": [
                   {"pattern": "Crypto.PublicKey.$K.generate($N, ...)"},
                   {"pattern": "Cryptodome.PublicKey.$K.generate($N, ...)"},
                   {"pattern": f"{_ASYMMETRIC}.$K.generate_private_key(..., key_size=$N, ...)"},
                   {"pattern": f"{_ASYMMETRIC}.$K.generate_private_key($E, $N, ...)"}]},
               {"metavariable-comparison": {"metavariable": "$N", "comparison": "$N < 2048"}}),
        _plain(p + "insecure-protocol", "CWE-327", "ERROR", "py/insecure-protocol",
               "An SSL/TLS version older than TLS 1.2 is allowed (SSLv2, SSLv3, TLS 1.0 or 1.1).",
               _either("ssl.PROTOCOL_SSLv2", "ssl.PROTOCOL_SSLv3", "ssl.PROTOCOL_TLSv1", "ssl.PROTOCOL_TLSv1_1",
                       "OpenSSL.SSL.SSLv2_METHOD", "OpenSSL.SSL.SSLv3_METHOD", "OpenSSL.SSL.TLSv1_METHOD",
                       "OpenSSL.SSL.TLSv1_1_METHOD", "ssl.wrap_socket(...)")),
        _plain(p + "default-context-old-tls", "CWE-327", "ERROR", "py/insecure-protocol",
               "A socket is wrapped by a context that still allows TLS 1.0 and 1.1 (no minimum_version set).",
               {"pattern": "$CTX.wrap_socket(...)"},
               {"pattern-inside": "import ssl\n...\n"},
               {"pattern-not-inside": "$C.minimum_version = ...\n...\n"},
               {"pattern-not-inside": "$C.options |= ...\n...\n"},
               {"pattern-not-inside": "ssl.wrap_socket(...)"}),
        _plain(p + "bad-tag-filter", "CWE-116", "WARNING", "py/bad-tag-filter",
               "A regular expression filters <script> tags but misses variants browsers accept (upper case, "
               "'</script >', attributes).",
               {"pattern": "re.$F($PAT, ...)"},
               _regex("$PAT", r"(?s)^[rbuRBU]*['\"].*<script.*"),
               {"pattern-not": "re.$F($PAT, ..., re.I, ...)"},
               {"pattern-not": "re.$F($PAT, ..., re.IGNORECASE, ...)"},
               {"pattern-not": "re.$F($PAT, ..., flags=re.I)"},
               {"pattern-not": "re.$F($PAT, ..., flags=re.IGNORECASE)"}),
        _plain(p + "bad-tag-filter-end-tag", "CWE-116", "WARNING", "py/bad-tag-filter",
               "A regular expression matches '</script>' exactly; browsers also end a script at '</script >' "
               "and '</script foo>'.",
               {"pattern": "re.$F($PAT, ...)"},
               _regex("$PAT", r"(?s)^[rbuRBU]*['\"].*</script>.*")),
        _plain(p + "hardcoded-credentials", "CWE-798", "WARNING", "py/hardcoded-credentials",
               "A credential (password, user id, certificate) is a constant in the code.",
               {"pattern-either": [{"pattern": "$F(..., $ARG=$LIT, ...)"}]},
               _regex("$ARG", _CREDENTIAL_ARG),
               # CodeQL's heuristic: at least 10 characters, no spaces, not a format string
               _regex("$LIT", r"^[rbuRBU]*['\"][^\s{}%'\"]{10,}['\"]$"),
               {"focus-metavariable": "$LIT"}),
        {"id": p + "clear-text-logging", "mode": "taint", "languages": ["python"], "severity": "ERROR",
         "message": "Sensitive data (a password or secret) is logged or printed as clear text.",
         "metadata": {"cwe": "CWE-312", "codeql": "py/clear-text-logging-sensitive-data"},
         "pattern-sources": sensitive_source,
         "pattern-sanitizers": [_unmodeled_call("clear-text-logging", _NOT_SENSITIVE)],
         "pattern-sinks": [_either("print(...)", "logging.$F(...)", "$LOG.info(...)", "$LOG.warning(...)",
                                   "$LOG.error(...)", "$LOG.debug(...)", "$LOG.critical(...)")]},
        {"id": p + "weak-sensitive-data-hashing", "mode": "taint", "languages": ["python"], "severity": "ERROR",
         "message": "A password is hashed with a fast hash (MD5, SHA-1, SHA-2): use a slow password hash "
                    "(PBKDF2, scrypt, bcrypt, argon2).",
         "metadata": {"cwe": "CWE-327", "codeql": "py/weak-sensitive-data-hashing"},
         "pattern-sources": sensitive_source,
         "pattern-sanitizers": [_unmodeled_call("weak-sensitive-data-hashing", _NOT_SENSITIVE)],
         "pattern-sinks": [_either("hashlib.md5(...)", "hashlib.sha1(...)", "hashlib.sha224(...)",
                                   "hashlib.sha256(...)", "hashlib.sha384(...)", "hashlib.sha512(...)",
                                   "hashlib.new(...)", "$H.update(...)")]},
    ]


# ------------------------------------------------------------------------------------------------ the packs

def _taint_rule(name: str, rule_id: str, cwe: str, severity: str, codeql: str | None, message: str,
                sinks: list[Pattern], sanitizers: list[Pattern], sources: list[Pattern]) -> dict[str, Any]:
    """A taint rule; a call that is neither a known step nor one of its sinks stops the flow (as in CodeQL)."""
    meta: dict[str, Any] = {"cwe": cwe}
    if codeql:
        meta["codeql"] = codeql
    return {"id": rule_id, "mode": "taint", "languages": ["python"], "severity": severity, "message": message,
            "metadata": meta, "options": {"taint_assume_safe_indexes": True},
            "pattern-sources": sources, "pattern-sinks": sinks,
            "pattern-sanitizers": [_NUMERIC, *sanitizers, _unmodeled_call(name)]}


def rules(pack: str) -> list[dict[str, Any]]:
    """The semgrep rules of ``pack`` ("default" or "paper")."""
    if pack not in PACKS:
        raise ValueError(f"pack must be one of {PACKS}, got {pack!r}")
    if pack == "paper":
        taint = [_taint_rule(name, f"treeplay-cq-py-{name}", cwe, sev, codeql, msg, sinks, sanitizers,
                             [_EXCEPTION_TEXT] if name == "stack-trace-exposure" else FLASK_SOURCES)
                 for name, cwe, sev, codeql, msg, sinks, sanitizers in TAINT]
        return taint + paper_rules()
    specs = [*TAINT, *_DEFAULT_ONLY]
    out = [_taint_rule(name, f"treeplay-py-flow-{name}", cwe, sev, codeql, msg, sinks, sanitizers,
                       FLASK_SOURCES + DJANGO_SOURCES + LOCAL_SOURCES)
           for name, cwe, sev, codeql, msg, sinks, sanitizers in specs if name != "stack-trace-exposure"]
    return out


def rule_file(pack: str) -> Path:
    """The rules of ``pack`` as a JSON rule file semgrep reads, written once per content hash."""
    data = json.dumps({"rules": rules(pack)}, sort_keys=True).encode()
    digest = hashlib.sha256(data).hexdigest()[:16]
    return write_rule_file(f"treeplay-dataflow-{pack}-{digest}.json", data)
