# Routine tasks. CI runs .ci/run, which runs `make test`.
.PHONY: build test demo bench format lint release fuzz

build:
	swift build

# Builds everything first (the end-to-end tests drive the relance binary), then runs the tests
# without building again.
test:
	swift build --build-tests
	swift test --skip-build

demo:
	swift run relance serve --demo

release:
	swift build -c release --product relance

bench:
	scripts/bench-page
	scripts/bench-scheduler
	scripts/bench-dashboard
	scripts/bench-import

# libFuzzer over every parser of outside input, three minutes per target (CI runs them a few seconds).
fuzz:
	scripts/fuzz 180

format:
	swift format --in-place --recursive Sources Tests Package.swift

lint:
	swift format lint --strict --recursive Sources Tests Package.swift
