# Tollgate on the current Node.js LTS. Tollgate runs from its TypeScript sources through tsx
# (a runtime dependency), so the image holds the sources and production dependencies only.
FROM node:24-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Sources stay owned by root and read-only to the process; only the usage store is writable.
COPY bin ./bin
COPY src ./src
COPY pricing ./pricing
COPY simulator ./simulator
COPY demo ./demo
COPY tsconfig.json ./
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]

USER node
ENV TOLLGATE_HOST=0.0.0.0 TOLLGATE_PORT=8080
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/tollgate.js"]
