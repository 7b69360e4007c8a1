# akresp — thin wrappers over the go tool.
GO       ?= go
BIN      ?= bin/akresp
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS  := -X github.com/akresp/akresp/internal/cli.version=$(VERSION) -X github.com/akresp/akresp/internal/cli.commit=$(COMMIT)
FUZZTIME ?= 20s

# Never let credentials-go probe the ECS metadata address from tests.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED := true

.PHONY: build test test-short demo lab fuzz bench golden vet tidy-check clean mutate docs

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/akresp

# Unit, lab-backed integration and CLI script tests.
test:
	$(GO) vet ./...
	$(GO) test -race -shuffle=on -timeout 12m ./...

test-short:
	$(GO) test -short ./...

# One command, no credentials, no network: a leak walked end to end on the lab.
demo: build
	./scripts/demo.sh $(BIN)

# Run the emulator with the built-in leak scenario until interrupted.
lab: build
	$(BIN) lab serve --scenario builtin:leak

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Mutation testing (go-gremlins, installed on first use, never a module
# dependency) over policy, the lab's authentication, the audit rules,
# respond and rotate; slow, so not part of test. MUTATE_TARGETS picks some:
# make mutate MUTATE_TARGETS="policy lab-auth". Score: docs/mutation.md.
MUTATE_TARGETS ?=
mutate:
	./scripts/mutate.sh $(MUTATE_TARGETS)

# Rewrite golden files (only the packages that have them take -update).
GOLDEN_PKGS := ./internal/audit ./internal/cli ./internal/policy ./internal/report
golden:
	$(GO) test $(GOLDEN_PKGS) -run . -update

# The markdown reference, generated from the command tree; `make test`
# fails (TestReferenceDocsCurrent) when it is stale.
docs:
	$(GO) run ./internal/cli/gendocs docs/reference

vet:
	$(GO) vet ./...

tidy-check:
	$(GO) mod tidy -diff

clean:
	rm -rf bin bench/out
