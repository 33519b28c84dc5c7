# Routine tasks. CI runs .ci/run, which runs `swift test` like `make test`.
.PHONY: build test demo bench format lint release

build:
	swift build

test:
	swift test

demo:
	swift run relance serve --demo

release:
	swift build -c release --product relance

bench:
	scripts/bench-page

format:
	swift format --in-place --recursive Sources Tests Package.swift

lint:
	swift format lint --strict --recursive Sources Tests Package.swift
