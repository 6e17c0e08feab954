# facegate: build, test and benchmark targets. Run `make setup` once after cloning.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL_CUDA := skip
FACEGATE_TEST_DATA ?= $(abspath ../shared)
export FACEGATE_TEST_DATA

.PHONY: setup build test bench lint demo clean

## setup: install npm packages (better-sqlite3 builds from source), compile, fetch and check the models
setup:
	npm ci --no-audit --no-fund
	npm run build
	bin/facegate models fetch

build:
	npm run build

## test: the whole test suite against real models, SQLite, ffmpeg and Mosquitto
test: build
	bin/facegate models verify
	npx vitest run

## bench: every benchmark; figures go to bench/results/*.json (see BENCHMARKS.md)
bench: build
	bin/facegate bench accuracy --pairs $(FACEGATE_TEST_DATA)/faces/lfw/pairs.csv --write-calibration models/calibration.json
	bin/facegate bench latency --images $(FACEGATE_TEST_DATA)/faces/lfw --limit 300
	bin/facegate bench liveness --spoof $(FACEGATE_TEST_DATA)/spoof
	bin/facegate bench match --templates 1000,10000,100000
	npx tsx bench/delivery.ts
	npx tsx bench/gate.ts --seconds 40

## demo: the gate daemon on a short video, with a local broker, simulated GPIO and a fleet subscriber (needs make setup)
demo:
	npx tsx demo/run-demo.ts

## lint: type-check everything, tests included
lint:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.test.json --noEmit

clean:
	rm -rf dist
