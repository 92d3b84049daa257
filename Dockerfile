# memgrade's grading service. Build: docker build -t memgrade .
# Run:   docker run -p 3000:3000 -v memgrade-data:/data memgrade
FROM node:20-bookworm-slim AS deps
# isolated-vm (and better-sqlite3, when no prebuilt binary fits) compile with node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MEMGRADE_DATA_DIR=/data
WORKDIR /app
# The service runs its TypeScript through tsx (a runtime dependency): no build step.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY sandbox ./sandbox
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# --no-node-snapshot: isolated-vm, loaded by the sandbox worker processes, needs it.
CMD ["node", "--no-node-snapshot", "--import", "tsx", "src/main.ts"]
