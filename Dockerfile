# syntax=docker/dockerfile:1
# One image per function or simulator:
#   docker build --build-arg APP=<name> -t premiere/<name> .
# APP: issue-token | admit-batch | reserve-seat | process-payment | render-catalog
#      | legacy-cinema | payment-provider
# Every image also carries every function's migrations, so any function image can run the
# migrations (node packages/runtime/dist/migrate-cli.js), and the libraries (packages/*: the
# runtime and its migrations, the event contracts, the waiting room's Redis model and Lua scripts),
# each built when the app uses it.
ARG NODE_IMAGE=node:20-bookworm-slim

# The workspace's manifests: all npm ci needs, for both install stages below.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/runtime/package.json packages/runtime/
COPY packages/contracts/package.json packages/contracts/
COPY packages/waiting-room/package.json packages/waiting-room/
COPY packages/web/package.json packages/web/
COPY packages/testing/package.json packages/testing/
COPY functions/issue-token/package.json functions/issue-token/
COPY functions/admit-batch/package.json functions/admit-batch/
COPY functions/reserve-seat/package.json functions/reserve-seat/
COPY functions/process-payment/package.json functions/process-payment/
COPY functions/render-catalog/package.json functions/render-catalog/
COPY simulators/package.json simulators/
COPY local-stack/package.json local-stack/
COPY bench/package.json bench/
COPY burst/package.json burst/
COPY chaos/package.json chaos/
COPY helm/check/package.json helm/check/

# Build: all dependencies, TypeScript compiled, the app's files assembled in /out.
FROM manifests AS build
ARG APP
COPY tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY functions functions
COPY packages packages
COPY simulators simulators
RUN test -n "$APP" || { echo "build with --build-arg APP=<function or simulator>" >&2; exit 1; } \
 && case "$APP" in \
      legacy-cinema|payment-provider) npx tsc -b simulators && main="simulators/dist/$APP-main.js" ;; \
      *) test -f "functions/$APP/src/main.ts" || { echo "no function named $APP" >&2; exit 1; } \
         && npx tsc -b "functions/$APP" && main="functions/$APP/dist/main.js" ;; \
    esac \
 && for d in functions/*/; do \
      mkdir -p "/out/$d" && cp "$d/package.json" "/out/$d"; \
      if [ -d "$d/migrations" ]; then cp -r "$d/migrations" "/out/$d"; fi; \
    done \
 && for d in packages/*/; do \
      mkdir -p "/out/$d" && cp "$d/package.json" "/out/$d"; \
      for part in dist lua migrations; do if [ -d "$d/$part" ]; then cp -r "$d/$part" "/out/$d"; fi; done; \
    done \
 && case "$APP" in \
      legacy-cinema|payment-provider) mkdir -p /out/simulators && cp simulators/package.json /out/simulators/ && cp -r simulators/dist /out/simulators/ ;; \
      *) cp -r "functions/$APP/dist" "/out/functions/$APP/" \
         && if [ -d "functions/$APP/lua" ]; then cp -r "functions/$APP/lua" "/out/functions/$APP/"; fi ;; \
    esac \
 && echo "require('./$main');" > /out/start.js \
 && find /out \( -name '*.map' -o -name '*.d.ts' -o -name '*.tsbuildinfo' \) -delete

# Production dependencies of the runtime (every app runs on it) and the app only.
FROM manifests AS deps
ARG APP
RUN case "$APP" in legacy-cinema|payment-provider) ws=simulators ;; *) ws="functions/$APP" ;; esac \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w packages/runtime -w "$ws" \
 && npm cache clean --force

# Run: no compiler, no sources, no dev dependencies; tini as PID 1 forwards signals (graceful
# shutdown) and reaps; the unprivileged node user; nothing written to the filesystem.
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /out ./
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "start.js"]
