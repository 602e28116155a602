# One image for every Hessian role (chain, deploy job, indexer, dashboard, trainer daemons):
# the `hessian` CLI is the entry point and the compose file picks the subcommand.
FROM node:24-bookworm-slim AS base
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY contracts/package.json contracts/
COPY subgraph/package.json subgraph/
COPY indexer/package.json indexer/
COPY trainer/package.json trainer/
COPY dashboard/package.json dashboard/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w @hessian/contracts \
  && npm run build -w @hessian/dashboard \
  && HESSIAN_DEPLOYMENT=none npm run build -w @hessian/subgraph
ENV HESSIAN_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["node", "cli/hessian.ts"]
CMD ["--help"]
