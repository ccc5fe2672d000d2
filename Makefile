# Hearth's tasks. `make help` lists them.
GO ?= go
FUZZTIME ?= 20s

# encoding/json built on Go's json v2 (GOEXPERIMENT=jsonv2, Go 1.25 and
# later: the standard library's API and behaviour, a faster decoder). disgo
# reads every gateway frame with encoding/json's Decoder, which Hearth cannot
# swap: with v2 under it, a start with 2,500 guilds of 200 members takes about
# 0.45 s less (docs/benchmarks.md). Every target builds and tests with it when
# the Go toolchain knows the experiment (asked once, here); a GOEXPERIMENT of
# your own is kept. A plain `go build` works too, only slower.
ifeq ($(origin GOEXPERIMENT),undefined)
export GOEXPERIMENT := $(shell GOEXPERIMENT=jsonv2 $(GO) env GOEXPERIMENT 2>/dev/null)
endif

.PHONY: help build run sandbox test test-race test-disgo test-plain vet fmt fmt-check lint cover fuzz bench bench-peers loadtest check emulator

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build the hearth binary into bin/
	$(GO) build -ldflags "-X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o bin/hearth .

run: ## run the bot (token from HEARTH_TOKEN; CONFIG=file for a config file)
	$(GO) run . run $(if $(CONFIG),--config $(CONFIG))

sandbox: ## talk to a working bot in the terminal, no Discord account needed
	$(GO) run . sandbox

test: fmt-check vet test-race test-disgo test-plain ## what CI runs: format, vet, tests under -race, the disgo end-to-end tests, then every test built as a plain go build

fmt: ## format every Go file
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')

lint: fmt-check vet ## gofmt and go vet (the linters CI runs)

cover: ## test coverage, per package, under -race
	$(GO) test -race -count=1 -cover ./...

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet every package
	$(GO) vet ./...

test-race: ## every test under the race detector (disgo-driving tests are excluded by their !race build tag)
	$(GO) test -race -count=1 ./...

test-disgo: ## the end-to-end tests that run disgo's gateway, which has data races of its own (docs/known-issues.md)
	$(GO) test -count=1 -run '^TestDisgo' ./...

test-plain: ## every test once more, without the race detector and built without GOEXPERIMENT, as a plain `go build` builds the bot
	GOEXPERIMENT= $(GO) test -count=1 ./...

fuzz: ## run each fuzz target for FUZZTIME (they also run as plain tests on their seeds in make test)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "$$pkg $$fz"; $(GO) test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench: ## benchmarks: every package's, then the REST limiter's workloads (a)-(d) against discordtest, disgo's limiter and ours (about 10 minutes; docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkWorkload$$' -benchmem ./...
	$(GO) test -run '^$$' -bench '^BenchmarkWorkload$$' -benchtime 1x -timeout 30m ./ratelimit/

bench-peers: ## Hearth, discord.js v14 and disgo side by side under the same emulator load (needs Node.js 20+ and npm; about 15 minutes; ARGS="-runs 3" for the medians of docs/benchmarks.md, about 45)
	mkdir -p bench-peers.out
	$(GO) run ./bench/compare -json bench-peers.out/peers.json -plots bench-peers.out -plot bench-peers.out/peers.png $(ARGS)

loadtest: build ## run `hearth loadtest` with its defaults (ARGS="--rate 1000 --duration 60s" to change them)
	bin/hearth loadtest $(ARGS)

check: test ## what CI runs (same as test)

emulator: ## serve the Discord emulator on a free loopback port (prints REST URL and token)
	$(GO) run . emulator
