#!/usr/bin/env bash
# Peer check for the REST API gateway (issue 8): schemathesis generates requests from our own
# OpenAPI document (/openapi.json) and checks that no request gets a 5xx and every response
# matches the documented schema. The venv and pip cache persist in ~/.cache/planvec-peers/.
set -euo pipefail
cd "$(dirname "$0")/../.."

peers="${PLANVEC_PEERS_DIR:-$HOME/.cache/planvec-peers}"
venv="$peers/venv-service"
export PIP_CACHE_DIR="$peers/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/schemathesis" --version >/dev/null 2>&1 || "$venv/bin/pip" install -q "schemathesis==4.32.5"

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/planvec.yaml" <<YAML
dataDir: $work/data
logLevel: warn
store:
  spec: embedded:$work/data/store
server:
  rateLimitMax: 100000000
YAML
export CONFIG_PATH="$work/planvec.yaml" REDIS_URL=""
tsx=node_modules/tsx/dist/loader.mjs
admin=$(node --import "./$tsx" scripts/service/make-key.ts "$work/data" admin)
read=$(node --import "./$tsx" scripts/service/make-key.ts "$work/data" read)
node --import "./$tsx" src/cli/run.ts serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 120); do
  url=$(sed -n 's/^planvec API on \(http:[^ ]*\) .*/\1/p' "$work/serve.out")
  [[ -n "$url" ]] && break
  sleep 0.5
done
[[ -n "$url" ]] || { echo "service: server did not start"; cat "$work/serve.err"; exit 1; }
curl -sf -H "x-api-key: $admin" -H 'content-type: application/json' \
  -d '{"collection":"roadmap_tasks","points":[{"id":1,"vector":[0.1,0.2,0.3]}]}' "$url/api/v1/vectors/upsert" >/dev/null

st="$venv/bin/schemathesis" # run inside $work: it writes a .schemathesis/ example database there
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
echo "service: schemathesis (admin key) against $url/openapi.json"
# Actions (reindex could be sent any path) and imports (server-side files) are left to the read-key run, where they answer 403.
(cd "$work" && "$st" run "$url/openapi.json" --url "$url" -H "x-api-key: $admin" -c "$checks" -n 25 \
  --exclude-path-regex '/actions/|/import' --generation-deterministic)
echo "service: schemathesis (read key) against every operation"
(cd "$work" && "$st" run "$url/openapi.json" --url "$url" -H "x-api-key: $read" -c "$checks" -n 10 --generation-deterministic)
echo "service: OK"
