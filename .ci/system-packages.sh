#!/usr/bin/env bash
# Debian packages the test suites use as real components (not mocks).
set -euo pipefail
needed=()
command -v redis-server >/dev/null 2>&1 || needed+=(redis-server)
# hnswlib-node (the embedded store's HNSW index) is compiled by node-gyp during `npm ci`.
command -v g++ >/dev/null 2>&1 || needed+=(g++)
command -v make >/dev/null 2>&1 || needed+=(make)
command -v python3 >/dev/null 2>&1 || needed+=(python3)
if ((${#needed[@]})); then
  echo "installing: ${needed[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
