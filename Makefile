# weipian: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing first (scripts/setup.sh, idempotent).

GO  ?= go
BIN := bin/weipian
DEMO_OUT ?= demo-out

WEB := app/web
# The console's sources: a change rebuilds app/web/dist (embedded by go build).
WEB_SRC := $(shell find $(WEB)/src -type f 2>/dev/null) $(WEB)/build.mjs $(WEB)/package.json

.PHONY: demo test build web setup-gdal setup-all lint bench clean

setup-gdal:
	scripts/setup.sh gdal

setup-all:
	scripts/setup.sh

build: setup-gdal web
	$(GO) build -o $(BIN) ./cmd/weipian

## web: the web console (npm ci, then esbuild into app/web/dist, embedded in the binary)
web: $(WEB)/dist/index.html

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	scripts/setup.sh web
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund

$(WEB)/dist/index.html: $(WEB_SRC) $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run build

## demo: the whole loop on the bundled real Jülich Landsat pair (no server)
demo: build
	scripts/setup.sh report
	scripts/demo.sh $(DEMO_OUT)

lint:
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## test: everything, against real Redis, MinIO and PostgreSQL servers
test: setup-all lint web
	$(GO) test -race -timeout 40m ./...
	GOEXPERIMENT=cgocheck2 $(GO) test -timeout 20m ./raster/...

## bench: the kernel benchmarks (figures in the issue notes)
bench: setup-gdal
	$(GO) test -run '^$$' -bench . -benchtime 5x ./raster/... ./pipeline/...

clean:
	rm -rf bin $(DEMO_OUT) $(WEB)/node_modules
	find $(WEB)/dist -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true
