# Two entry points for a fresh machine (Debian 12, Python 3.11, root or sudo):
#   make demo  - install what is needed, start the local stack, run the main job end to end
#   make test  - install what is needed and run the whole suite (what .ci/run calls)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libreoffice-writer-nogui python3-uno gnupg poppler-utils fonts-dejavu-core mariadb-server mariadb-client
# Two workers: CI has 2 cores, and the suite is mostly waiting on sockets, LibreOffice and subprocesses.
PYTEST_ARGS ?= -n 2

.PHONY: demo test lint stack system-deps venv requirements images clean conformance

system-deps:
	@if command -v soffice >/dev/null && command -v gpg >/dev/null && command -v mariadb >/dev/null \
	   && PATH="$$PATH:/usr/sbin" command -v mariadbd >/dev/null && /usr/bin/python3 -c 'import uno' 2>/dev/null; then \
	  echo "system packages present"; \
	else \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[http,documents,pdfcheck,mail,llm,presign,backup,events,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: system-deps venv
	$(PY) -m pwdev.demo

stack: system-deps venv
	$(PY) -m pwdev.stack

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	@# each handler is its own module named `handler`, so they are checked one by one
	@for f in functions/*/handler.py; do $(VENV)/bin/mypy --no-error-summary $$f || exit 1; done
	$(PY) -m pwcore.admin.cli requirements --check

test: system-deps venv
	$(MAKE) lint
	$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The ERPNext contract suite: against the stand-in, or a real (staging) site with
# PW_CONFORMANCE_ERPNEXT_URL / PW_CONFORMANCE_API_KEY / PW_CONFORMANCE_API_SECRET; CONFORMANCE_ARGS=--allow-existing
conformance: venv
	PYTHONPATH=$(CURDIR)/shared:$(CURDIR)/dev $(PY) tools/conformance.py $(CONFORMANCE_ARGS)

requirements: venv
	$(PY) -m pwcore.admin.cli requirements

# build/<fn>/: each function's build context as faas-cli lays it out (function/, function/shared, the template's
# requirements), plus image.json (packages, size); the per-image virtualenvs are cached in build/venvs/.
images: venv
	$(PY) -m pwdev.images --venvs

clean:
	rm -rf $(VENV) .stack build .pytest_cache .mypy_cache .ruff_cache
