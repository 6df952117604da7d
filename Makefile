# Two commands do all set-up on a fresh machine:
#   make up     real Airflow, locally, from examples/quickstart
#   make test   every test tier (unit, golden, lint, emulator, airflow)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: up down test test-fast bench clean system-deps smoke-ec2 smoke-eks

$(BIN)/airhost: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

# checkov pins libraries that conflict with boto3's, so it lives in its own virtualenv.
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(CHECKOV_VENV)/bin/pip install $(PIP_FLAGS) checkov
	touch $@

# The machine's PostgreSQL binaries run the local database; Redis backs the Celery executor;
# a headless Chromium (and its WebDriver) drives the Airflow UI in the airflow tier.
# cloud-init checks the EC2 nodes' user data against its schema.
system-deps:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)
	@command -v redis-server >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)
	@(command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)
	@command -v cloud-init >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cloud-init)

up: $(BIN)/airhost system-deps
	$(BIN)/airhost up --config examples/quickstart

down: $(BIN)/airhost
	$(BIN)/airhost down --config examples/quickstart

test: $(BIN)/airhost $(CHECKOV_VENV)/bin/checkov system-deps
	AIRHOST_CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest

# Everything but the tiers that start real Airflow.
test-fast: $(BIN)/airhost $(CHECKOV_VENV)/bin/checkov
	AIRHOST_CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -m "not airflow"

# Opt-in, against a real AWS account (costs money; never part of make test): see smoke/.
smoke-ec2: $(BIN)/airhost
	$(BIN)/python -m pytest smoke/test_ec2_real_account.py -s -p no:cacheprovider

smoke-eks: $(BIN)/airhost
	$(BIN)/python -m pytest smoke/test_eks_real_account.py -s -p no:cacheprovider

bench: $(BIN)/airhost $(CHECKOV_VENV)/bin/checkov system-deps
	$(BIN)/pip install $(PIP_FLAGS) -e '.[test,bench]'
	$(BIN)/python bench/local_up.py
	$(BIN)/python bench/dag_push.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/task_profile.py
	$(BIN)/python bench/scale_signal.py
	AIRHOST_CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python bench/render.py
	$(BIN)/python bench/deploy.py
	$(BIN)/python bench/eks_deploy.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) examples/*/.airhost
