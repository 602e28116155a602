# One image for every Hessian role (chain, deploy job, indexer, dashboard, trainer daemons):
# the `hessian` CLI is the entry point and the compose file picks the subcommand.
# test/dockerfile.test.ts runs this file's build steps in a clean copy of the repository.
FROM node:24-bookworm-slim
# As root, the operating system only: better-sqlite3 builds from source when no prebuilt binary
# matches, and the state directories the volumes mount on, owned by the unprivileged user.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /app /data /deployment && chown node:node /app /data /deployment
# Every role runs as `node`: a container's files are its own volume's, not root's.
USER node
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node common/package.json common/
COPY --chown=node:node contracts/package.json contracts/
COPY --chown=node:node test-kit/package.json test-kit/
COPY --chown=node:node subgraph/package.json subgraph/
COPY --chown=node:node indexer/package.json indexer/
COPY --chown=node:node core/package.json core/
COPY --chown=node:node lending/package.json lending/
COPY --chown=node:node trainer/package.json trainer/
COPY --chown=node:node dashboard/package.json dashboard/
COPY --chown=node:node test/package.json test/
RUN npm ci --no-audit --no-fund
COPY --chown=node:node . .
# The subgraph is built for the placeholder address; `hessian deploy --subgraph-out` and
# `hessian index` retarget a copy at the real deployment.
RUN npm run build -w @hessian/contracts \
  && npm run build -w @hessian/dashboard \
  && npm run build -w @hessian/subgraph
ENV HESSIAN_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["node", "cli/hessian.ts"]
CMD ["--help"]
