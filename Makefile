# clausewatch: every target sets itself up (a .venv, dependencies, a Chromium).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= ./archive
# Prefect: no telemetry, quiet logs for the demo (the Prefect UI keeps the details)
PREFECT_ENV := PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_LOGGING_LEVEL=WARNING

.PHONY: install browser postgresql demo test test-fast check format schemas score corpus-hashes bench bench-accuracy bench-history bench-index bench-webhooks server deploy worker clean

install: $(STAMP) browser

$(STAMP): pyproject.toml scripts/bootstrap-venv.sh
	PYTHON=$(PYTHON) VENV=$(VENV) scripts/bootstrap-venv.sh
	touch $(STAMP)

browser: $(STAMP)
	@VENV=$(VENV) scripts/install-browser.sh

# PostgreSQL for `make server` and its tests (apt-get as root where it is missing)
postgresql:
	@scripts/install-postgresql.sh

demo: install
	$(PREFECT_ENV) $(BIN)/clausewatch demo --store $(STORE)

test: install postgresql
	$(BIN)/pytest -q $(PYTEST_ARGS)

# The fast lane: no Chromium, no Prefect API, no moto server, nothing slow (the markers in
# pyproject.toml), on every core. `make test` runs all of it, one test at a time.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not browser and not prefect and not s3 and not slow" $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schemas: $(STAMP)
	$(BIN)/python -c "from clausewatch.schemas import write_model_schemas; write_model_schemas()"

# Change-detection accuracy on the shared labelled corpus (see ../shared/corpus/README.md)
CORPUS ?= ../shared/corpus
score: $(STAMP)
	$(BIN)/python $(CORPUS)/score.py $(CORPUS) --cli "$(BIN)/clausewatch"

# Monitoring at scale against a local site of generated pages: one JSON (see the README).
# SERVER=postgresql WORKERS=2 LIMITS=1: on scripts/server.sh's server, two process workers on
# one work pool, global concurrency limits on
bench: install $(if $(filter postgresql,$(SERVER)),postgresql)
	$(BIN)/python scripts/bench.py --small $(or $(SMALL),500) --large $(or $(LARGE),2000) $(if $(ROUNDS),--rounds $(ROUNDS)) \
		$(if $(SERVER),--server $(SERVER)) $(if $(WORKERS),--workers $(WORKERS)) $(if $(LIMITS),--global-limits)

# The scorer, trafilatura, a bare lxml pass and the import side by side, as one JSON summary
bench-accuracy: $(STAMP)
	$(BIN)/python scripts/bench_accuracy.py $(CORPUS) --cli "$(BIN)/clausewatch"

# A day's work on a store with a year of history against one with a day of it (ratios, one JSON)
bench-history: $(STAMP)
	$(BIN)/python scripts/bench_history.py --docs $(or $(DOCS),1000) --s3-docs $(or $(S3_DOCS),20) --repeat $(or $(REPEAT),3)

# The search index on the corpus: the import's overhead of keeping it, build cost, search latency
bench-index: $(STAMP)
	$(BIN)/python scripts/bench_index.py $(CORPUS) --cli "$(BIN)/clausewatch" --rounds $(or $(ROUNDS),2)

# Webhook delivery cost to a healthy local receiver (deliveries per second)
bench-webhooks: $(STAMP)
	$(BIN)/python scripts/bench_webhooks.py --events 500

# Operators: a local Prefect server with its UI, the deployments, a worker (three terminals)
PREFECT_PORT ?= 4200
OPERATOR_ENV := PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api CLAUSEWATCH_HOME=$(CURDIR) \
	CLAUSEWATCH_STORE=$(abspath $(STORE))
# On a PostgreSQL cluster in .prefect-pg/ (PGPORT, default 5433) when PostgreSQL is installed,
# on SQLite otherwise (scripts/server.sh; CLAUSEWATCH_SERVER_DB=sqlite to choose SQLite)
server: install postgresql
	PREFECT=$(abspath $(BIN))/prefect PREFECT_PORT=$(PREFECT_PORT) scripts/server.sh

deploy: install
	$(OPERATOR_ENV) $(BIN)/prefect work-pool inspect clausewatch-process >/dev/null 2>&1 || \
		$(OPERATOR_ENV) $(BIN)/prefect work-pool create clausewatch-process --type process
	$(OPERATOR_ENV) $(BIN)/prefect --no-prompt deploy --prefect-file deployments/prefect.yaml --all

worker: install
	$(OPERATOR_ENV) $(BIN)/prefect worker start --pool clausewatch-process

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The content and substance hash of every corpus page (tests/test_corpus_hashes.py checks them)
corpus-hashes: $(STAMP)
	$(BIN)/python scripts/corpus_hashes.py $(CORPUS) > tests/data/corpus_hashes.tsv
