# Simili — the two commands a newcomer needs:
#   make run    build, fetch what is missing, open the app (embedded store)
#   make test   run every test
# Everything downloaded goes to $(CACHE) (never into the repository).

SHELL        := /bin/bash
GO           ?= go
BIN          := bin/simili
CACHE        ?= $(or $(SIMILI_CACHE_DIR),$(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/simili)
ORT_VERSION  := 1.24.1
ORT_LIB      := $(CACHE)/onnxruntime/$(ORT_VERSION)/libonnxruntime.so
SHARED       ?= $(or $(SIMILI_SHARED),$(abspath ../shared))
SQUEEZENET   := $(SHARED)/models/squeezenet1.1/squeezenet1.1-fp32.onnx

export SIMILI_CACHE_DIR := $(CACHE)
export SIMILI_ONNXRUNTIME ?= $(ORT_LIB)
export SIMILI_SHARED := $(SHARED)
export CGO_ENABLED := 1

.PHONY: all build run test test-go test-milvus test-gui lint deps onnxruntime models clean bench

all: build

## deps: the system packages Fyne needs to compile (Debian/Ubuntu), only when missing.
deps:
	@scripts/system-deps.sh

## build: the binary at bin/simili.
build: deps
	$(GO) build -o $(BIN) .

## onnxruntime: ONNX Runtime $(ORT_VERSION) into the cache.
onnxruntime: $(ORT_LIB)
$(ORT_LIB):
	scripts/fetch-onnxruntime.sh

## models: ResNet50 (download, verified) and SqueezeNet (from ../shared when present).
models: build onnxruntime
	@if [ -f "$(SQUEEZENET)" ]; then $(BIN) model import squeezenet "$(SQUEEZENET)"; \
	  else echo "note: $(SQUEEZENET) not found; SqueezeNet not installed"; fi
	@$(BIN) model fetch resnet50 || echo "note: ResNet50 could not be downloaded now; the app offers the download again (Settings) and SqueezeNet works meanwhile"

## run: build, fetch what is missing, open the window.
run: build onnxruntime models
	$(BIN)

## test: every test (needs ../shared for the real-data tests), then the
## real window under Xvfb (screenshots of each view, fails on a blank one).
test: build onnxruntime models lint test-go test-milvus test-gui

## test-go: every package but the Milvus integration tests.
test-go:
	@scripts/make-resnet50-random.sh >/dev/null || echo "note: the random ResNet50 could not be made (python3-onnx python3-numpy); TestResNet50Random will skip"
	env -u SIMILI_MILVUS_CTL $(GO) test -tags bench -count=1 -timeout 25m -skip Milvus $$($(GO) list ./... | grep -v /search/vector/milvus$$)
	$(GO) test -count=1 -run 'TestProductBuild' ./search/embed/ ./ui/cli/ # the product build has no bench models

## test-milvus: the Milvus store against a real server at SIMILI_MILVUS_ADDR
## (.ci/run starts one; without it the server tests skip, and fail under
## SIMILI_STRICT=1). With SIMILI_MILVUS_CTL (the server script) it also stops
## and restarts that server halfway through an index run. Prints each test's
## verdict so a CI log shows they ran.
test-milvus:
	@echo "Milvus integration tests against $${SIMILI_MILVUS_ADDR:-(no server: SIMILI_MILVUS_ADDR unset)}"
	@set -o pipefail; { $(GO) test -count=1 -v ./search/vector/milvus/ && \
	  $(GO) test -count=1 -v -run Milvus ./search/engine/; } 2>&1 | tee $(CACHE)/test-milvus.log | grep -E '^((    )?--- |    milvus_test|ok|FAIL|PASS)'

## bench: every speed figure side by side with the peers (../shared/tools/peers,
## run in a virtual environment of their own in $(CACHE)/peers-venv), with the
## seeded random ResNet50 made into the cache first. Prints Simili | peer |
## ratio | target; BENCH_FLAGS=--json for JSON. The benchmarks and their
## benchmark-only models live in a build of their own (-tags bench,
## bin/simili-bench); the product binary has neither.
bench: build onnxruntime models
	$(GO) build -tags bench -o bin/simili-bench .
	@scripts/make-resnet50-random.sh >/dev/null
	bin/simili-bench bench --peers $(BENCH_FLAGS)

test-gui: deps onnxruntime
	$(GO) build -tags screenshot -o bin/simili-screenshot .
	SIMILI_BIN=bin/simili-screenshot scripts/gui-screenshot.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags screenshot ./ui/desktop/
	$(GO) vet -tags bench ./search/... ./ui/cli/

clean:
	rm -rf bin
