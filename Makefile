# Cunxin: `make run` and `make test` on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HTMX := ui/static/vendor/htmx.min.js
HTMX_VERSION := 2.0.11
HTMX_SHA256 := d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
AXE := tests/e2e/vendor/axe.min.js
AXE_VERSION := 4.10.3
AXE_SHA256 := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
APT_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libgl1 chromium poppler-utils nginx-light

.PHONY: install system-packages run test lint schema bench clean

install: system-packages $(STAMP) $(HTMX) $(AXE)

# Debian packages: fonts and pango for PDFs, libgl1 for OpenCV, chromium for browser tests, nginx-light (deploy/ is checked with nginx -t).
system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "安装系统软件包: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "缺少系统软件包，请先运行: sudo apt-get install -y $$missing"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 $(PYTHON)"; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@# deepface needs the contrib build of OpenCV to own cv2/ (docs/stack.md#opencv): reinstall it last.
	$(BIN)/pip install -q --force-reinstall --no-deps opencv-contrib-python-headless==4.14.0.94
	$(BIN)/pip check
	@touch $(STAMP)

# htmx comes from the npm registry package, checked against a pinned sha256.
$(HTMX):
	@mkdir -p $(dir $(HTMX))
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz \
	  && echo "$(HTMX_SHA256)  package/dist/htmx.min.js" | sha256sum -c --quiet \
	  && cp package/dist/htmx.min.js $(CURDIR)/$(HTMX) && rm -rf $$tmp
	@echo "htmx $(HTMX_VERSION) -> $(HTMX)"

# axe-core (test only: the browser tests inject it into every page), from npm the same way, pinned sha256.
$(AXE):
	@mkdir -p $(dir $(AXE))
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && echo "$(AXE_SHA256)  package/axe.min.js" | sha256sum -c --quiet \
	  && cp package/axe.min.js $(CURDIR)/$(AXE) && rm -rf $$tmp
	@echo "axe-core $(AXE_VERSION) -> $(AXE)"

run: install
	$(BIN)/cunxin dev

lint: install
	$(BIN)/lint-imports

# The whole suite: SQLite + the embedded Redis unless CUNXIN_TEST_DATABASE_URL / CUNXIN_TEST_REDIS_URL are set.
test: lint
	$(BIN)/python -m pytest -q

schema: install
	$(BIN)/cunxin export-schema

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	$(BIN)/python bench/table.py

clean:
	rm -rf var test-artifacts .pytest_cache
