# One image, one command per role:
#   docker run brewstream producer | consumer cleaned | trainer | server
# No Docker engine runs on the development machines: this file is reviewed, not built, there.

# --- build: compile TypeScript with the full dependency set
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- runtime: Node, a Java runtime for Amazon's MultiLangDaemon, production dependencies,
# tfjs-node (its install script downloads libtensorflow, which works where there is internet)
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 KCL_DAEMON=amazon JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm install --no-save --allow-scripts=@tensorflow/tfjs-node @tensorflow/tfjs-node@4.22.0
COPY --from=build /app/dist ./dist
# The properties template is read from source at start (consumers/kcl/properties.ts).
COPY consumers/kcl/consumer.properties ./consumers/kcl/consumer.properties
# Fetch the MultiLangDaemon jars now (kcl-bootstrap without -e only prepares them), so the
# container needs no Maven access at run time.
RUN STREAM_NAME=build node -e "import('./dist/consumers/kcl/properties.js').then(async (m) => { const { loadConfig } = await import('./dist/lib/config.js'); require('fs').writeFileSync('/tmp/build.properties', m.renderProperties(loadConfig(), { applicationName: 'build', command: ['node'] })); })" \
 && node node_modules/aws-kcl/bin/kcl-bootstrap -p /tmp/build.properties -j "$JAVA_HOME/bin/java" \
 && rm /tmp/build.properties \
 && chown -R node:node node_modules/aws-kcl/lib/jars
USER node
EXPOSE 3000
ENTRYPOINT ["node", "dist/bin/brewstream.js"]
CMD ["server"]
