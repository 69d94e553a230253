# Everyday tasks. Each target is also spelled out in the README or .ci/run.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
SPECS   := openapi/avnology-id-flows.yaml openapi/avnology-id-oauth2.yaml openapi/mock-control.yaml

.PHONY: build image compose-images generate check-generated lint staticcheck test test-race spec-lint conform ci

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/idflows ./cmd/idflows

# The mock's image (Dockerfile): a static linux binary and the CA bundle, FROM scratch.
IMAGE ?= idflows:dev
image:
	mkdir -p bin/image
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o bin/image/idflows ./cmd/idflows
	cp /etc/ssl/certs/ca-certificates.crt bin/image/
	docker build -t $(IMAGE) -f Dockerfile bin/image

# The images the compose examples name, built without a registry: the mock's; the example
# app's and Mailpit's (from its Go module, at the version the compose file names); the
# replicas example's load balancer and Redis (Debian's redis-server, FROM scratch).
MAILPIT := $(shell sed -n 's|.*image: axllent/mailpit:\(v[0-9.]*\).*|\1|p' examples/compose/compose.yaml)
REDIS := $(shell sed -n 's|.*image: redis:\([0-9.]*\).*|\1|p' examples/replicas/compose.yaml)
compose-images: image
	mkdir -p bin/compose/app bin/compose/mailpit/tmp
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o bin/compose/app/app ./examples/compose/app
	docker build -q -t idflows-example-app:dev -f examples/compose/app/Dockerfile bin/compose/app
	CGO_ENABLED=0 GOOS=linux GOBIN=$(CURDIR)/bin/compose/mailpit $(GO) install -trimpath -ldflags '-s -w' github.com/axllent/mailpit@$(MAILPIT)
	docker build -q -t axllent/mailpit:$(MAILPIT) -f examples/compose/mailpit/Dockerfile bin/compose/mailpit
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o bin/replicas/lb/lb ./examples/replicas/lb
	docker build -q -t idflows-example-lb:dev -f examples/replicas/lb/Dockerfile bin/replicas/lb
	sh examples/replicas/redis/rootfs.sh bin/replicas/redis
	docker build -q -t redis:$(REDIS) bin/replicas/redis

generate:
	$(GO) generate ./...

# Fails when gen/ is not what the contracts produce.
check-generated: generate
	@git diff --exit-code -- gen/ && test -z "$$(git status --porcelain -- gen/)" \
		|| { echo "gen/ is stale: run 'make generate' and commit it"; exit 1; }

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt would change the files above"; exit 1; }
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

spec-lint: node_modules/.bin/spectral
	npx spectral lint $(SPECS) --fail-severity=error

node_modules/.bin/spectral: package.json package-lock.json
	npm ci --no-audit --no-fund

# The suite against a freshly started mock on a free port; its reports go to out/conformance.
conform: build
	@out=$$(mktemp); ./bin/idflows mock --listen 127.0.0.1:0 --log-level warn > $$out 2>&1 & pid=$$!; \
	for i in $$(seq 50); do url=$$(sed -n 's/^idflows mock ready on \([^ ]*\).*/\1/p' $$out); [ -n "$$url" ] && break; sleep 0.1; done; \
	[ -n "$$url" ] || { cat $$out; kill $$pid; exit 1; }; \
	./bin/idflows conform --target $$url --control $$url --inbox mock \
		--webauthn-rp-id localhost --webauthn-origin $$url \
		--waivers mockserver/conformance-waivers.yaml --report-dir out/conformance; code=$$?; \
	kill $$pid; exit $$code

ci:
	bash .ci/run
