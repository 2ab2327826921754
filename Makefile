# Recall — common tasks. `make run` starts the server on the embedded default
# (SQLite in ./recall-data/, no Redis); `make check` is the fast loop (vet,
# gofmt, `go test -short`: no services, no root, no installs — the tests that
# need Redis, PostgreSQL, the Firestore emulator or redis-server skip and say
# so, as do the ones that run for many seconds); `make test` runs the whole
# suite.
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: run build check test services vet fmt-check lint fuzz bench clean

run:
	$(GO) run ./cmd/recall serve

build:
	$(GO) build -o bin/recall ./cmd/recall

# `go vet ./...` has already checked the test files, so the tests run with
# -vet=off; test binaries are linked without DWARF (-w; stack traces do not
# need it): `go test -c ./cmd/recall` links in 4.8 s instead of 6.9 s.
check: vet fmt-check
	$(GO) test -short -count=1 -vet=off -ldflags=-w ./...

# The services the tests use (installed and started if needed), vet, the
# gofmt check, a short bounded run of every fuzz target, then the whole suite
# with the race detector (its summary closes the output).
test: services web-check vet fmt-check
	$(MAKE) --no-print-directory fuzz
	$(GO) test -race -count=1 -timeout 30m ./...

services:
	@bash scripts/services.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

lint: vet fmt-check

# A short, bounded run of every fuzz target (seed corpora are committed),
# bounded by executions rather than time: with a duration, Go 1.26's fuzz
# coordinator can fail a target with "context deadline exceeded" at the end
# of the window without any failing input (go.dev/issue/75804, fixed in 1.27).
FUZZTIME ?= 20000x
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2000x $$pkg > /tmp/recall-fuzz.log 2>&1 || { cat /tmp/recall-fuzz.log; exit 1; }; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Ten minutes of the bench mix against one Recall (SQLite + its own Redis),
# Redis killed and restarted every minute; prints requests, errors and p99
# per minute, then the lost writes (must be 0). SOAK_DURATION=2m for a short
# run. Not part of `make test` (build tag soak).
SOAK_DURATION ?= 10m
.PHONY: soak
soak:
	RECALL_SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags soak -run '^TestSoak$$' -count=1 -timeout 60m -v ./faults

clean:
	rm -rf bin

# The generated Go client of the API (http/apiclient), from http/openapi.json.
.PHONY: apiclient
apiclient:
	$(GO) generate ./http/apiclient

# The web app (web/ → webapp/dist, embedded in the binary): `make web`
# rebuilds the committed bundle after a change in web/src; `make web-check`
# (run by `make test`) rebuilds it into a temporary directory and fails when
# the committed output differs. Both need `npm ci` in web/ (make services).
.PHONY: web web-check
web:
	cd web && npm ci --no-audit --no-fund --silent && node build.mjs

web-check:
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	node web/build.mjs "$$tmp/dist" >/dev/null && \
	diff -r "$$tmp/dist" webapp/dist >/dev/null || { echo "webapp/dist is stale: run make web and commit it"; exit 1; }
