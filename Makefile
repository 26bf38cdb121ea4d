# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install the
# system packages the tests need when they are missing (apt-get as root; otherwise the exact command).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-stamp
CONFIG ?= configs/demo.yaml

.PHONY: demo test lint importlint format bench clean system-deps

# PYTHONWARNINGS: setuptools' banner about editable installs is advice to packagers, not users.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# pyspark (~500 MB) for the Spark offline store test only, so `make demo` does without it
$(SPARK_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/pip install -q -e '.[dev,spark]'
	touch $(SPARK_STAMP)

system-deps:  ## redis-server (Redis online store, nearline tests), chromium (HTML report test), a JRE (Spark offline store test)
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing. Run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

demo: $(STAMP) system-deps  ## run the whole pipeline on configs/demo.yaml and write the A/B report
	$(BIN)/linksage run --config $(CONFIG)

test: $(STAMP) $(SPARK_STAMP) system-deps lint importlint  ## ruff, import-linter contracts, then the test suite
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

importlint: $(STAMP)  ## the stage boundaries (contracts in pyproject.toml)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## every benchmark script, each printing its figures
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf runs feature_repo/data/*.parquet feature_repo/data/*.db
