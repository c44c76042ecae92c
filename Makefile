# The two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_DEPRECATION_WARNINGS := False
MUNICIPALITY ?= demo
# The lab municipality's vault password: a lab-only secret, committed on purpose.
LAB_VAULT_PASSWORD ?= lab/demo-vault-password

.PHONY: setup lock images ee demo lab-down lint sanity unit molecule vm-smoke test test-slow test-vm build clean

## setup: Debian packages, the virtualenv from requirements/lock.txt, podman config
setup:
	@bash tools/setup.sh

## lock: compile requirements/lock.txt from pyproject.toml (after changing a pin)
lock: setup
	@bash tools/lock.sh

## images: the Debian 12 and 13 lab and stock images (cached; rebuilt when their recipe changes)
images: setup
	@landingzone lab images

## ee: the execution environment image, offline from the Debian 13 lab image (cached by its inputs)
ee: images
	@python tools/ee_image.py build

## demo: everything, then the lab municipality up, site.yml applied, its desk up, an audit with its evidence
demo: images
	@landingzone lab up $(MUNICIPALITY)
	@landingzone --vault-password-file $(LAB_VAULT_PASSWORD) apply $(MUNICIPALITY)
	@landingzone --vault-password-file $(LAB_VAULT_PASSWORD) workplace up $(MUNICIPALITY)
	@landingzone --vault-password-file $(LAB_VAULT_PASSWORD) audit $(MUNICIPALITY)

## lab-down: remove the lab municipality's containers, network and keys
lab-down: setup
	@landingzone lab down $(MUNICIPALITY)

## lint: ruff, yamllint and ansible-lint (production profile); make test runs them too
lint: setup
	tools/lint.sh

## sanity: ansible-test sanity on an installed copy of the collection (make test runs it too)
sanity: setup
	tools/sanity.sh

unit: setup
	pytest -m "not molecule and not lab and not vm" tests

molecule: images
	pytest -m molecule tests

vm-smoke: setup
	pytest -m vm_smoke tests

## test: everything CI checks; it ends with its time budget (total and slowest parts)
test: export LZ_TEST_STARTED := $(shell date +%s)
# Two workers: measured faster on 2 cores (README, Tests); tests/worker_groups.py says what shares a
# worker. `make test PYTEST_WORKERS=` runs one.
PYTEST_WORKERS ?= -n 2 --dist loadscope
# The linters run as tests (tests/integration/test_lint_clean.py), beside the containers' waits.
test: images
	pytest $(PYTEST_WORKERS) --durations=15 -m "not slow and (not vm or vm_smoke)" tests

## test-slow: the full proofs that need not run on every submission (see the README)
test-slow: images
	pytest --durations=15 -m "slow or vm" tests

## test-vm: the full proof of the kernel-level controls on a real kernel (qemu)
test-vm: setup
	pytest -m vm tests/vm

## build: the collection tarball
build: setup
	ansible-galaxy collection build --force --output-path build .

clean:
	rm -rf build .cache/facts .pytest_cache .ruff_cache
