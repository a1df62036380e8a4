# AIS: the two commands are `make demo` and `make test`; both set up whatever is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
AIS       := $(VENV)/bin/ais
NATIVE    := build/native
NATIVE_SAN:= build/native-asan
JOBS      ?= 2
NO_SERVE  ?= 0
PROFILE   ?= embedded
SPAN_DAYS ?=
PYTEST_ARGS ?=

.PHONY: help setup build native native-asan demo test test-native test-python bench fuzz lint clean stack stack-down \
	images test-images

help:
	@echo "make demo      set up, run the whole chain on the embedded profile, serve the forecast"
	@echo "               (NO_SERVE=1 prints the forecast and exits; SPAN_DAYS=N sets the span;"
	@echo "               PROFILE=cluster runs it on the servers of make stack)"
	@echo "make test      set up, build, run C unit + sanitizer tests and the Python tests"
	@echo "make fuzz      libFuzzer on every C parser (FUZZ_SECONDS per target, default 60)"
	@echo "make stack     start the production profile's servers on loopback (HDFS, PostgreSQL, Kafka,"
	@echo "               Cassandra; scripts/stack.sh), make stack-down stops them"
	@echo "make images    build the three images with buildah on a debootstrapped Debian 12 base (root;"
	@echo "               scripts/build_images.sh); make test-images builds them and runs each one's commands"
	@echo "make setup | build | bench | lint | clean"

setup:
	@scripts/setup.sh all

native: setup
	@cmake -S native -B $(NATIVE) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(NATIVE) -j$(JOBS) >$(NATIVE)/build.log 2>&1 || { cat $(NATIVE)/build.log; exit 1; }

native-asan: setup
	@cmake -S native -B $(NATIVE_SAN) -DCMAKE_BUILD_TYPE=Debug -DAIS_SANITIZE=ON >/dev/null
	@cmake --build $(NATIVE_SAN) -j$(JOBS) >$(NATIVE_SAN)/build.log 2>&1 || { cat $(NATIVE_SAN)/build.log; exit 1; }

build: native

demo: build
	@$(AIS) demo --profile $(PROFILE) $(if $(filter 1 yes true,$(NO_SERVE)),--no-serve) $(if $(SPAN_DAYS),--span-days $(SPAN_DAYS))

test-native: native native-asan
	@ctest --test-dir $(NATIVE) --output-on-failure -j$(JOBS)
	@ctest --test-dir $(NATIVE_SAN) --output-on-failure -j$(JOBS)

test-python: build
	@$(PY) -m pytest --durations=30 $(PYTEST_ARGS)

# One stack of servers (scripts/test_stack.sh) for the whole run, shared by the C and the Python
# suites. Everything is built before the servers start, so the inner make skips (-o) what is
# done. Alone, test-native and test-python start the servers they need themselves.
test: native native-asan
	@scripts/test_stack.sh run -- $(MAKE) --no-print-directory -o setup -o native -o native-asan -o build \
	  test-native test-python

bench: build
	@$(PY) -m bench.run

stack: setup
	@scripts/stack.sh up
	@scripts/stack.sh status

stack-down:
	@scripts/stack.sh down

# Not part of `make test`: a cold build takes tens of minutes (scripts/build_images.sh, docker/README.md).
images:
	@scripts/build_images.sh

test-images: images setup
	@AIS_TEST_IMAGES=1 $(PY) -m pytest -x tests/images $(PYTEST_ARGS)

fuzz: setup
	@scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

# Python: ruff and mypy. C: the build itself warns as errors (-Wall -Wextra -Werror ..., native/
# CMakeLists.txt), then cppcheck; a reviewed false positive is suppressed inline with its reason.
# jansson.h is included so that cppcheck knows its foreach macros.
lint: native
	@$(VENV)/bin/ruff check src tests bench airflow native/tests/fixtures
	@$(VENV)/bin/mypy
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr --std=c11 \
	  -j$(JOBS) -I native/include --include=/usr/include/jansson.h native/src native/fuzz native/tests

clean:
	rm -rf build var/landing var/checkpoints var/warehouse var/iceberg_catalog.db var/models var/spark-tmp
