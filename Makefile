# Hearth's tasks. `make help` lists them.
GO ?= go
FUZZTIME ?= 20s

.PHONY: help build test test-race test-disgo vet fmt-check fuzz bench check emulator

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build the hearth binary
	$(GO) build -o bin/hearth .

test: fmt-check vet test-race test-disgo ## what CI runs: format, vet, tests under -race, then the disgo end-to-end tests

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet every package
	$(GO) vet ./...

test-race: ## every test under the race detector (disgo-driving tests are excluded by their !race build tag)
	$(GO) test -race -count=1 ./...

test-disgo: ## the end-to-end tests that run disgo's gateway, which has data races of its own (docs/known-issues.md)
	$(GO) test -count=1 -run '^TestDisgo' ./...

fuzz: ## run each fuzz target for FUZZTIME (they also run as plain tests on their seeds in make test)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "$$pkg $$fz"; $(GO) test -run '^$$' -fuzz "^$$fz$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench: ## benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

check: test ## alias of test: what CI runs

emulator: ## serve the Discord emulator on a free loopback port (prints REST URL and token)
	$(GO) run . emulator
