# The one gate everyone runs, CI included: make check
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: check fmt vet lint test fuzz build

check: fmt vet lint test

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

test:
	$(GO) test -race -count=1 ./...

# Short, fixed-time runs of every fuzzer.
FUZZTIME ?= 10s
fuzz:
	$(GO) test ./dedupe -run '^$$' -fuzz '^FuzzCanonicalURL$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x
	$(GO) test ./tag -run '^$$' -fuzz '^FuzzParseFilter$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x
	$(GO) test ./tag -run '^$$' -fuzz '^FuzzTags$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzIngest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x
	$(GO) test ./config -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x

build:
	$(GO) build -o bin/aggregator ./cmd/aggregator
