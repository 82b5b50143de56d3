# syntax=docker/dockerfile:1
#
# One image for every Parley service. The service is picked by the working
# directory: the build arg SERVICE sets the default (gateway), and
# docker-compose.yml overrides `working_dir` per service, so one build serves all:
#
#   docker build -t parley:local .                                # gateway by default
#   docker run --workdir /app/chat-service parley:local           # any other service
#
# Every service starts the same way from its own folder:
#   node --enable-source-maps --import ./dist/instrumentation.js dist/main.js

# Keep in step with .nvmrc.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- manifests: only the files that decide what `npm ci` installs -------------
# Copying every workspace's package.json (found, not listed) keeps the npm ci
# layer cached across source edits and needs no change when a workspace is added.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find . -name package.json -not -path '*/node_modules/*' -not -path './package.json' \
      -exec cp --parents {} /manifests/ \;

# --- deps: full install (dev dependencies are needed to build) ----------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund

# --- build: TypeScript project references, the web UI, then prune dev deps ----
FROM deps AS build
COPY . .
RUN npm run build:ts \
 && npm run build -w @parley/web \
 && npm prune --omit=dev --no-audit --no-fund
# Assemble the runtime tree: root manifests, the pruned node_modules (workspace
# links point at ../../<workspace>), and each workspace folder with its dist.
# Workspaces are copied whole so runtime assets outside dist (policy files, the
# built web UI in web/dist) come along; build caches are dropped.
RUN mkdir -p /out \
 && cp -a package.json package-lock.json node_modules /out/ \
 && for ws in $(node -p "require('./package.json').workspaces.join(' ')"); do \
      mkdir -p "/out/$(dirname "$ws")" && cp -a "$ws" "/out/$ws"; \
    done \
 && find /out -name '*.tsbuildinfo' -not -path '*/node_modules/*' -delete

# --- runtime -------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the `node` user the process runs as.
COPY --from=build /out/ /app/
USER node
WORKDIR /app/${SERVICE}
EXPOSE 8080 8081 8082 8090
# Compose defines its own per-service healthcheck; this one serves `docker run`.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "--import", "./dist/instrumentation.js", "dist/main.js"]
