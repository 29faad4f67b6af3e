# wirewatch — the two commands of the README are `make run` and `make test`.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME ?= 2000x

.PHONY: run build test unit fuzz lint pg bench train eval

## run: start PostgreSQL if needed, build, then the daemon on the built-in
## configuration; each phase prints a line with its duration (scripts/run.sh)
run:
	@GO='$(GO)' LDFLAGS='$(LDFLAGS)' ./scripts/run.sh

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/wirewatch ./cmd/wirewatch

# The local server is started unless the tests were pointed elsewhere.
pg:
	@if [ -z "$$WIREWATCH_TEST_DATABASE_URL" ]; then ./scripts/pg-up.sh; fi

## test: a short run of every fuzz target, then the whole suite (unit, database, end-to-end)
test: pg fuzz unit

# The suite's output is a plain go test's (a line per package, failures in
# full) plus the skipped tests with their reasons, and ends with the counts
# (internal/testsummary reads go test -json).
unit:
	$(GO) vet ./...
	@bash -o pipefail -c '$(GO) test -json -count=1 -timeout 15m ./... | $(GO) run ./internal/testsummary'

# Each fuzz target runs briefly on top of its seed corpus. The budget is a
# number of executions, not a duration: with a duration, Go 1.26's fuzzing
# coordinator can report "context deadline exceeded" as a failure when a
# worker is still busy at the deadline (go.dev/issue/75804, fixed in Go
# 1.27), which a loaded machine makes likely. A failing input is saved
# under testdata/fuzz and shown.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1 || { cat $$log; exit 1; }; \
	  done; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

bench: pg
	$(GO) run ./bench

## train: retrain the classifier's model (classify/model.tsv) from the labelled real items;
## needs the state-media corpus in ../shared (see docs/relevance.md)
train:
	$(GO) run ./classify/internal/trainmodel

## eval: measure the classifier on the frozen real test sets (title and lead, then title only)
eval:
	$(GO) run ./cmd/wirewatch eval
	$(GO) run ./cmd/wirewatch eval -title-only -sets test,test2,test3
