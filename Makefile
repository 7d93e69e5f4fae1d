# rescind: `make run` and `make check` each set up everything they need on a fresh Debian 12
# (apt packages, npm packages from the lockfile, CMake builds), then run.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
DEB_PACKAGES := build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev librhonabwy-dev \
  libgnutls28-dev libsodium-dev libsqlite3-dev libpq-dev liblua5.4-dev libcurl4-openssl-dev \
  libncurses-dev libcmocka-dev zlib1g-dev wrk tmux chromium sqlite3 curl util-linux
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps npm-deps build build-asan run check unit unit-asan e2e bench clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The end-to-end tests need Node.js 20 or later (oauth4webapi's baseline; playwright-core's
# "engines"). Debian 12's own nodejs package is 18, so where node is older the tests cannot run:
# say so plainly instead of failing somewhere inside them.
npm-deps: deps
	@major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0); \
	if [ "$$major" -lt 20 ]; then \
	  echo "make check: the end-to-end tests need Node.js >= 20 (found $$(node --version 2>/dev/null || echo none));" \
	       "Debian 12's nodejs package is 18. Install Node.js 20+ (e.g. NodeSource's nodejs) and run make check again." >&2; \
	  exit 1; \
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

bench: build
	@bench/run.sh

clean:
	rm -rf build build-asan
