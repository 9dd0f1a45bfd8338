# weipian: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing first (scripts/setup.sh, idempotent).

GO  ?= go
BIN := bin/weipian
DEMO_OUT ?= demo-out

.PHONY: demo test build setup-gdal setup-all lint bench clean

setup-gdal:
	scripts/setup.sh gdal

setup-all:
	scripts/setup.sh

build: setup-gdal
	$(GO) build -o $(BIN) ./cmd/weipian

## demo: the whole loop on the bundled real Jülich Landsat pair (no server)
demo: build
	scripts/setup.sh report
	scripts/demo.sh $(DEMO_OUT)

lint:
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## test: everything, against real Redis, MinIO and PostgreSQL servers
test: setup-all lint
	$(GO) test -race -timeout 40m ./...
	GOEXPERIMENT=cgocheck2 $(GO) test -timeout 20m ./raster/...

## bench: the kernel benchmarks (figures in the issue notes)
bench: setup-gdal
	$(GO) test -run '^$$' -bench . -benchtime 5x ./raster/... ./pipeline/...

clean:
	rm -rf bin $(DEMO_OUT)
