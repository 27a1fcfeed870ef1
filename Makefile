# Two commands: `make run` (the whole system with demo data, SQLite) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: fonts for seals and PDFs (Vietnamese glyphs) are needed to run;
# the tests also need poppler (pdfsig, pdftoppm), NSS tools, SoftHSM2 and Chromium.
RUN_DEBS := fonts-dejavu-core fonts-liberation fonts-liberation2
TEST_DEBS := $(RUN_DEBS) poppler-utils libnss3-tools softhsm2 opensc chromium

.PHONY: run test lint install debs-run debs-test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

debs-run:
	$(call install_debs,$(RUN_DEBS))

debs-test:
	$(call install_debs,$(TEST_DEBS))

run: $(STAMP) debs-run
	$(BIN)/eoffice run

test: $(STAMP) debs-test
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check eoffice signing tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache
