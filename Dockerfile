# One image, one command per role:
#   docker run IMAGE producer | consumer cleaned | consumer raw | trainer | server
# No Docker engine runs on the development machines, so this file is not built there:
# `npm run lint:docker` and test/container/dockerfile.test.ts check what can be checked without one.

# --- build: compile TypeScript. No install scripts: tsc needs none, and tfjs-node's would
# download libtensorflow only to be thrown away with this stage.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# --- runtime
FROM node:24-bookworm-slim AS runtime
# Java for Amazon's MultiLangDaemon (`consumer` with KCL_DAEMON=amazon). No JAVA_HOME: Debian's
# is per architecture (java-17-openjdk-amd64 or -arm64), while the /usr/bin/java link exists on
# both, and consumers/amazon/amazonDaemon.ts uses it when JAVA_HOME is unset.
# The slim base deletes /usr/share/man, and the JRE's post-install (update-alternatives) fails
# creating its java.1.gz link there unless the folder exists.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 KCL_DAEMON=amazon
WORKDIR /app
COPY package.json package-lock.json ./
# Node 24's npm (11) reads package.json's allowScripts: of the install scripts only the optional
# @tensorflow/tfjs-node's runs, downloading libtensorflow and a prebuilt addon (linux x64 only);
# where that fails npm drops it without failing, and lib/tfjs.ts falls back to wasm. Say which.
RUN npm ci --omit=dev --no-audit --no-fund \
 && if node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1; \
    then echo "tfjs-node: native backend"; else echo "tfjs-node: not installed, wasm backend"; fi
# The template consumers/amazon/properties.ts reads (three levels up from dist/consumers/amazon).
COPY consumers/amazon/consumer.properties consumers/amazon/consumer.properties
# Fetch the MultiLangDaemon jars into node_modules/aws-kcl/lib/jars now, where
# consumers/amazon/amazonDaemon.ts looks at start, so the container needs no Maven access. Without -e it only downloads and prints
# the java command; it wants an existing properties file and java, and exits 1 if a download fails.
# Before the code is copied, so a code change does not download them again.
RUN node node_modules/aws-kcl/bin/kcl-bootstrap \
      --properties consumers/amazon/consumer.properties --java /usr/bin/java
# The daemon's logging configuration, beside the properties template (consumers/amazon/main.ts).
COPY consumers/amazon/logback.xml consumers/amazon/logback.xml
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
