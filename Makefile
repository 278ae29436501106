# Crossdock's build. `make demo` and `make test` are the two commands of the README.
GO      ?= go
BIN     := bin/crossdock
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# The race detector makes the suite several times slower; CI keeps it on.
TESTFLAGS ?= -race -timeout 20m

.PHONY: all build test lint fuzz bench demo proto schema clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/crossdock

test: build
	$(GO) test $(TESTFLAGS) ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Each fuzz target for a short time; FUZZTIME=1m for longer runs.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# Every benchmark, one table; the figures also go to bench/results.json.
bench: build
	./$(BIN) bench

demo: build
	./$(BIN) demo

# Regenerates the committed gRPC code of the connector protocol. Needs protoc
# (Debian: protobuf-compiler) and the pinned generators:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
proto:
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" protoc -I plugins/proto \
	  --go_out=plugins/proto --go_opt=paths=source_relative \
	  --go-grpc_out=plugins/proto --go-grpc_opt=paths=source_relative \
	  plugins/proto/connector.proto

# Regenerates the committed JSON Schemas of the canonical model.
schema:
	$(GO) generate ./canonical/...

clean:
	rm -rf bin data/demo
