"""Examples for treeplay's Go, Java, Ruby, C++ and newer JavaScript rules (written for these tests).

Most rules are exercised by the per-language fixture pair of their CWE (``fixtures/languages/<language>/``:
the vulnerable snippet must trigger the rule, the secure one must not); rules without a fixture of their own
get a short inline pair here. ``LANGUAGE_EXAMPLES[rule_id] = (language, vulnerable, fixed)`` like ``EXAMPLES``.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "languages"
_EXTENSIONS = {"go": "go", "java": "java", "ruby": "rb", "cpp": "cpp", "javascript": "js"}


def fixture_pair(language: str, cwe: str) -> tuple[str, str, str]:
    """(language, vulnerable, secure) from the fixture files of ``cwe`` (e.g. "CWE-78")."""
    folder = FIXTURES / language
    ext = _EXTENSIONS[language]
    return (language, (folder / f"{cwe}_vulnerable.{ext}").read_text(encoding="utf-8"),
            (folder / f"{cwe}_secure.{ext}").read_text(encoding="utf-8"))


GO_EXEC_INPUT = (
    "package main\n\nimport (\n\t\"net/http\"\n\t\"os/exec\"\n)\n\n"
    "func run(w http.ResponseWriter, r *http.Request) {\n\ttool := r.URL.Query().Get(\"tool\")\n"
    "\tout, _ := exec.Command(tool, \"--version\").Output()\n\tw.Write(out)\n}\n",
    "package main\n\nimport (\n\t\"net/http\"\n\t\"os/exec\"\n)\n\n"
    "var tools = map[string]string{\"git\": \"/usr/bin/git\", \"go\": \"/usr/bin/go\"}\n\n"
    "func run(w http.ResponseWriter, r *http.Request) {\n\tpath, ok := tools[r.URL.Query().Get(\"tool\")]\n"
    "\tif !ok {\n\t\treturn\n\t}\n\tout, _ := exec.Command(path, \"--version\").Output()\n\tw.Write(out)\n}\n",
)
GO_ECB = (
    "package main\n\nimport \"crypto/aes\"\n\nfunc seal(key, data []byte) []byte {\n"
    "\tb, _ := aes.NewCipher(key)\n\tout := make([]byte, len(data))\n"
    "\tfor i := 0; i < len(data); i += aes.BlockSize {\n\t\tb.Encrypt(out[i:], data[i:])\n\t}\n\treturn out\n}\n",
    "package main\n\nimport (\n\t\"crypto/aes\"\n\t\"crypto/cipher\"\n)\n\n"
    "func seal(key, nonce, data []byte) []byte {\n\tb, _ := aes.NewCipher(key)\n\tg, _ := cipher.NewGCM(b)\n"
    "\treturn g.Seal(nil, nonce, data, nil)\n}\n",
)
GO_OLD_TLS = (
    "package main\n\nimport \"crypto/tls\"\n\nfunc config() *tls.Config {\n"
    "\treturn &tls.Config{MinVersion: tls.VersionTLS10}\n}\n",
    "package main\n\nimport \"crypto/tls\"\n\nfunc config() *tls.Config {\n"
    "\treturn &tls.Config{MinVersion: tls.VersionTLS12}\n}\n",
)
GO_HTML_CAST = (
    "package main\n\nimport \"html/template\"\n\nfunc comment(body string) template.HTML {\n"
    "\treturn template.HTML(\"<p>\" + body + \"</p>\")\n}\n",
    "package main\n\nimport \"html/template\"\n\nfunc comment(body string) template.HTML {\n"
    "\treturn template.HTML(\"<p>\" + template.HTMLEscapeString(body) + \"</p>\")\n}\n",
)
GO_TEXT_TEMPLATE = (
    "package main\n\nimport (\n\t\"net/http\"\n\t\"text/template\"\n)\n\n"
    "var page = template.Must(template.New(\"p\").Parse(\"<h1>{{.}}</h1>\"))\n\n"
    "func show(w http.ResponseWriter, r *http.Request) {\n\tpage.Execute(w, r.URL.Query().Get(\"q\"))\n}\n",
    "package main\n\nimport (\n\t\"html/template\"\n\t\"net/http\"\n)\n\n"
    "var page = template.Must(template.New(\"p\").Parse(\"<h1>{{.}}</h1>\"))\n\n"
    "func show(w http.ResponseWriter, r *http.Request) {\n\tpage.Execute(w, r.URL.Query().Get(\"q\"))\n}\n",
)
GO_CHMOD = (
    "package main\n\nimport \"os\"\n\nfunc lockDown(path string) {\n\tos.Chmod(path, 0o600)\n}\n",
    "package main\n\nimport \"os\"\n\nfunc lockDown(path string) error {\n\treturn os.Chmod(path, 0o600)\n}\n",
)
GO_WORLD_WRITABLE = (
    "package main\n\nimport \"os\"\n\nfunc save(path string, data []byte) error {\n"
    "\treturn os.WriteFile(path, data, 0666)\n}\n",
    "package main\n\nimport \"os\"\n\nfunc save(path string, data []byte) error {\n"
    "\treturn os.WriteFile(path, data, 0600)\n}\n",
)
JAVA_CIPHER = (
    "import javax.crypto.Cipher;\n\nclass Box {\n  static Cipher make() throws Exception {\n"
    "    return Cipher.getInstance(\"AES/ECB/PKCS5Padding\");\n  }\n}\n",
    "import javax.crypto.Cipher;\n\nclass Box {\n  static Cipher make() throws Exception {\n"
    "    return Cipher.getInstance(\"AES/GCM/NoPadding\");\n  }\n}\n",
)
JAVA_REDIRECT = (
    "import java.io.IOException;\nimport javax.servlet.http.*;\n\nclass Login extends HttpServlet {\n"
    "  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {\n"
    "    resp.sendRedirect(req.getParameter(\"next\"));\n  }\n}\n",
    "import java.io.IOException;\nimport javax.servlet.http.*;\n\nclass Login extends HttpServlet {\n"
    "  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {\n"
    "    resp.sendRedirect(req.getContextPath() + \"/home\");\n  }\n}\n",
)
RB_KERNEL_OPEN = (
    "def fetch_report(name)\n  open(name).read\nend\n",
    "def fetch_report(name)\n  File.open(File.join(\"/srv/reports\", File.basename(name))).read\nend\n",
)

LANGUAGE_EXAMPLES: dict[str, tuple[str, str, str]] = {
    "treeplay-go-shell-command-nonliteral": fixture_pair("go", "CWE-78"),
    "treeplay-go-command-from-input": ("go", *GO_EXEC_INPUT),
    "treeplay-go-sql-built-from-strings": fixture_pair("go", "CWE-89"),
    "treeplay-go-path-from-request-unchecked": fixture_pair("go", "CWE-22"),
    "treeplay-go-weak-hash": fixture_pair("go", "CWE-328"),
    "treeplay-go-weak-cipher": fixture_pair("go", "CWE-327"),
    "treeplay-go-ecb-block-loop": ("go", *GO_ECB),
    "treeplay-go-math-rand-for-secret": fixture_pair("go", "CWE-338"),
    "treeplay-go-tls-verification-off": fixture_pair("go", "CWE-295"),
    "treeplay-go-tls-old-version": ("go", *GO_OLD_TLS),
    "treeplay-go-html-response-unescaped": fixture_pair("go", "CWE-79"),
    "treeplay-go-template-html-cast": ("go", *GO_HTML_CAST),
    "treeplay-go-text-template-html": ("go", *GO_TEXT_TEMPLATE),
    "treeplay-go-rsa-key-too-small": fixture_pair("go", "CWE-326"),
    "treeplay-go-crypto-rand-error-ignored": fixture_pair("go", "CWE-252"),
    "treeplay-go-permission-error-ignored": ("go", *GO_CHMOD),
    "treeplay-go-world-writable-permissions": ("go", *GO_WORLD_WRITABLE),
    "treeplay-java-sql-built-from-strings": fixture_pair("java", "CWE-89"),
    "treeplay-java-command-built-from-strings": fixture_pair("java", "CWE-78"),
    "treeplay-java-path-from-caller-unchecked": fixture_pair("java", "CWE-22"),
    "treeplay-java-xxe-document-builder": fixture_pair("java", "CWE-611"),
    "treeplay-java-weak-hash": fixture_pair("java", "CWE-328"),
    "treeplay-java-weak-cipher": ("java", *JAVA_CIPHER),
    "treeplay-java-insecure-random-secret": fixture_pair("java", "CWE-338"),
    "treeplay-java-object-input-stream": fixture_pair("java", "CWE-502"),
    "treeplay-java-servlet-response-unescaped": fixture_pair("java", "CWE-79"),
    "treeplay-java-trust-all-certificates": fixture_pair("java", "CWE-295"),
    "treeplay-java-open-redirect": ("java", *JAVA_REDIRECT),
    "treeplay-rb-shell-command-interpolated": fixture_pair("ruby", "CWE-78"),
    "treeplay-rb-kernel-open-input": ("ruby", *RB_KERNEL_OPEN),
    "treeplay-rb-sql-interpolated": fixture_pair("ruby", "CWE-89"),
    "treeplay-rb-path-from-params": fixture_pair("ruby", "CWE-22"),
    "treeplay-rb-unsafe-deserialization": fixture_pair("ruby", "CWE-502"),
    "treeplay-rb-eval-input": fixture_pair("ruby", "CWE-94"),
    "treeplay-rb-weak-hash": fixture_pair("ruby", "CWE-328"),
    "treeplay-rb-rand-for-secret": fixture_pair("ruby", "CWE-338"),
    "treeplay-rb-html-safe-interpolated": fixture_pair("ruby", "CWE-79"),
    "treeplay-rb-open-redirect": fixture_pair("ruby", "CWE-601"),
    "treeplay-rb-mass-assignment-permit-all": fixture_pair("ruby", "CWE-915"),
    "treeplay-cpp-shell-command-concatenated": fixture_pair("cpp", "CWE-78"),
    "treeplay-cpp-c-string-copy-unbounded": fixture_pair("cpp", "CWE-120"),
    "treeplay-cpp-format-string-from-value": fixture_pair("cpp", "CWE-134"),
    "treeplay-cpp-rand-for-secret": fixture_pair("cpp", "CWE-338"),
    "treeplay-cpp-path-from-caller-unchecked": fixture_pair("cpp", "CWE-22"),
    "treeplay-cpp-new-array-scalar-delete": fixture_pair("cpp", "CWE-762"),
    "treeplay-cpp-weak-hash": fixture_pair("cpp", "CWE-328"),
    "treeplay-js-sql-built-from-strings": fixture_pair("javascript", "CWE-89"),
    "treeplay-js-weak-hash": fixture_pair("javascript", "CWE-328"),
    "treeplay-js-jwt-not-verified": fixture_pair("javascript", "CWE-347"),
}
