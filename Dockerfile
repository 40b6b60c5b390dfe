# One image, one command per role:
#   docker run IMAGE producer | consumer cleaned | consumer raw | trainer | server
# Built with Docker (BuildKit, the default builder since Docker 23: the jar step uses RUN --mount),
# or with buildah/podman; `npm run test:image` builds it with buildah and runs every role in it.
# README.md "Container image" says how, and what the build arguments change.

# --- build: compile TypeScript. No install scripts: tsc needs none, and tfjs-node's would
# download libtensorflow only to be thrown away with this stage. Tests, benchmarks and infra/ are
# not in the build context (.dockerignore), so dist/ holds only what the roles run.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier
COPY . .
RUN npm run build --no-update-notifier \
 && find dist -name '*.js.map' -delete

# --- dependencies: what changes rarely, so a code change rebuilds none of it: Java, the
# production node_modules, the MultiLangDaemon jars.
FROM node:24-bookworm-slim AS dependencies
# Java for Amazon's MultiLangDaemon (`consumer` with KCL_DAEMON=amazon). No JAVA_HOME: Debian's
# is per architecture (java-17-openjdk-amd64 or -arm64), while the /usr/bin/java link exists on
# both, and consumers/amazon/amazonDaemon.ts uses it when JAVA_HOME is unset.
# Slim images have no /usr/share/man/man1, where the JRE's postinst (update-alternatives) links java.1.gz.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 KCL_DAEMON=amazon
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/slim-node-modules.sh /usr/local/lib/brewstream/
# Node 24's npm (11.19) runs only the install scripts package.json's allowScripts allows: the
# optional @tensorflow/tfjs-node's, which downloads libtensorflow and a prebuilt addon (linux x64
# only); where that fails npm drops it without failing, and lib/tfjs.ts falls back to wasm.
# slim-node-modules.sh, in the same layer, removes what Node never loads and says which backend.
RUN npm ci --omit=dev --no-audit --no-fund --no-update-notifier \
 && sh /usr/local/lib/brewstream/slim-node-modules.sh
# The template consumers/amazon/properties.ts reads (three levels up from dist/consumers/amazon),
# and the jar step's script and pinned checksums.
COPY consumers/amazon/consumer.properties consumers/amazon/kcl-jars.sh consumers/amazon/kcl-jars.sha256 consumers/amazon/
# The tool the jar step downloads with, beside node_modules, where it finds aws-kcl's pom.xml.
COPY scripts/pin-kcl-jars.js scripts/
# The daemon's logging configuration, beside the properties template (consumers/amazon/main.ts).
COPY consumers/amazon/logback.xml consumers/amazon/
# Amazon's MultiLangDaemon jars, in one layer, into node_modules/aws-kcl/lib/jars where
# consumers/amazon/amazonDaemon.ts looks at start, so the container needs no Maven access:
#   KCL_JARS=fetch  (default) downloaded from Maven Central (MAVEN_REPOSITORY: a mirror), each
#                   checked against the SHA-1 published beside it
#   KCL_JARS=dir    from consumers/amazon/jars/ in the build context (no Maven access needed)
#   KCL_JARS=skip   none: `consumer` with KCL_DAEMON=amazon then stops at start and says so
# The jars must then match consumers/amazon/kcl-jars.sha256: the build fails on a missing, different
# or extra jar. While that file pins nothing, dir fails, and fetch goes on with a warning (printed
# here, recorded in the image, repeated by the consumer at start) and the lines to pin. The jars
# folder is mounted, not copied, so no other layer holds them. Before the code is copied, so a
# code change does not download them again.
ARG KCL_JARS=fetch
ARG MAVEN_REPOSITORY
RUN --mount=type=bind,source=consumers/amazon/jars,target=/tmp/kcl-jars \
    sh consumers/amazon/kcl-jars.sh "$KCL_JARS" node_modules/aws-kcl/lib/jars /tmp/kcl-jars

# --- runtime: the dependencies plus the compiled code.
FROM dependencies AS runtime
COPY --from=build /app/dist dist
# Everything under /app stays root's: the app only writes to os.tmpdir() (the consumer's rendered
# properties) and, for `train`, to its working directory, hence node's home.
USER node
WORKDIR /home/node
# The tasks run with a read-only root filesystem and a task volume on /tmp (infra/constructs/
# services.ts); declared here so Fargate gives the volume /tmp's permissions, writable by node.
VOLUME ["/tmp"]
EXPOSE 3000
# No HEALTHCHECK: only `server` listens (GET /health); the other roles have no port, so one image
# check would mark them unhealthy. The server's health check belongs to its task definition.
ENTRYPOINT ["node", "/app/dist/bin/brewstream.js"]
CMD ["server"]
