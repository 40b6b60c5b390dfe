#!/usr/bin/env bash
# Makes sure a Redis answers on 127.0.0.1:6379 (or $REDIS_PORT): start redis-server if it is
# installed, else install it from Debian's packages (needs root), else say how to get one.
set -euo pipefail
port="${REDIS_PORT:-6379}"
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if answers; then echo "--- redis: answering on 127.0.0.1:$port"; exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "--- redis: installing redis-server from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is not installed: run 'sudo apt-get install redis-server' (Debian/Ubuntu) or 'brew install redis' (macOS)" >&2
    exit 1
  fi
fi
echo "--- redis: starting redis-server on 127.0.0.1:$port"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no
for _ in $(seq 1 50); do answers && exit 0; sleep 0.1; done
echo "redis-server did not answer on 127.0.0.1:$port" >&2
exit 1
