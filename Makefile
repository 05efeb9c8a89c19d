# The one gate everyone runs, CI included: make check
GO ?= go

# The Go release that builds and tests the project is go.mod's toolchain
# line: the go command fetches it through the module proxy. Set here as
# well because machines that pin GOTOOLCHAIN=local would ignore the line.
export GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)

.PHONY: check fmt vet lint test fuzz build vulncheck

check: fmt vet lint test

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck's version is pinned by the tool line in go.mod: it is built
# once and then taken from the build cache.
lint:
	$(GO) tool staticcheck ./...

test:
	$(GO) test -race -count=1 -shuffle=on ./...

# govulncheck against the Go vulnerability database, built from the reports
# of golang.org/x/vulndb as the module proxy serves them (vuln.go.dev need
# not be reachable). VULNDB pins the reports' version.
VULNDB ?= golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
vulncheck:
	@dir=$$($(GO) mod download -json $(VULNDB) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$dir/data/osv" || { echo "no reports in $(VULNDB)"; exit 1; }; \
	rm -rf .vulndb && $(GO) run ./tools/vulndb -osv "$$dir/data/osv" -out .vulndb
	$(GO) tool govulncheck -db file://$(CURDIR)/.vulndb ./...

# Short runs of every fuzzer, budgeted in executions rather than seconds:
# a wall-clock -fuzztime races Go's fuzz coordinator at the deadline
# (go.dev/issue/75804) and fails with "context deadline exceeded" on a
# loaded machine. Each budget is roughly ten seconds here.
FUZZTIME_URL ?= 200000x
FUZZTIME_FILTER ?= 200000x
FUZZTIME_TAGS ?= 100000x
FUZZTIME_INGEST ?= 5000x
FUZZTIME_CONFIG ?= 200000x
FUZZTIME_TEXT ?= 200000x
FUZZTIME_HTML ?= 100000x
fuzz:
	$(GO) test ./dedupe -run '^$$' -fuzz '^FuzzCanonicalURL$$' -fuzztime $(FUZZTIME_URL) -fuzzminimizetime 100x
	$(GO) test . -run '^$$' -fuzz '^FuzzPublicURL$$' -fuzztime $(FUZZTIME_URL) -fuzzminimizetime 100x
	$(GO) test ./filter -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME_FILTER) -fuzzminimizetime 100x
	$(GO) test ./tag -run '^$$' -fuzz '^FuzzTags$$' -fuzztime $(FUZZTIME_TAGS) -fuzzminimizetime 100x
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzIngest$$' -fuzztime $(FUZZTIME_INGEST) -fuzzminimizetime 100x
	$(GO) test ./config -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME_CONFIG) -fuzzminimizetime 100x
	$(GO) test ./internal/text -run '^$$' -fuzz '^FuzzFromHTML$$' -fuzztime $(FUZZTIME_TEXT) -fuzzminimizetime 100x
	$(GO) test ./tag -run '^$$' -fuzz '^FuzzTokenize$$' -fuzztime $(FUZZTIME_TEXT) -fuzzminimizetime 100x
	$(GO) test ./fetch -run '^$$' -fuzz '^FuzzSanitizeSkipsResolving$$' -fuzztime $(FUZZTIME_HTML) -fuzzminimizetime 100x
	$(GO) test ./fetch -run '^$$' -fuzz '^FuzzCheckDepth$$' -fuzztime $(FUZZTIME_HTML) -fuzzminimizetime 100x

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/aggregator ./cmd/aggregator
