#!/usr/bin/env bash
# Peer check for the migration toolkit: the committed fixtures in test/fixtures/migrate/ are
# exactly what scripts/migrate/generate_fixtures.py writes with real Python pickle and NumPy
# (so the readers are tested against genuine Python output, and the generator stays in sync).
# Venv and pip cache live outside the repo; re-runs take a second or two.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${HOME}/.cache/planvec-peers"
venv="${cache}/migrate-venv"
if ! "${venv}/bin/python" -c "import numpy; assert numpy.__version__ == '2.1.3'" 2>/dev/null; then
  python3 -m venv "${venv}"
  PIP_CACHE_DIR="${cache}/pip" "${venv}/bin/pip" install -q "numpy==2.1.3"
fi
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
"${venv}/bin/python" scripts/migrate/generate_fixtures.py "${out}"
if ! diff -r "${out}" test/fixtures/migrate >/dev/null; then
  echo "migrate peer: fixtures differ from the generator output:" >&2
  diff -rq "${out}" test/fixtures/migrate >&2 || true
  exit 1
fi
test ! -e /tmp/planvec-pickle-pwned || { echo "migrate peer: a pickle ran code" >&2; exit 1; }
echo "migrate peer: $(ls "${out}" | wc -l) fixtures reproduced byte for byte"
