#!/usr/bin/env bash
# Peer check for the plan parser (issue 2): test/fixtures/corpus/cmark-gfm-tasks.json, which
# test/markdown/corpus.test.ts compares planvec's parser with, must be exactly what GitHub's
# Markdown parser (cmark-gfm, through the `cmarkgfm` Python bindings) gives for the corpus under
# scripts/markdown/crosscheck_cmark_gfm.py; likewise cmark-gfm-tasks-lenient.json with
# `--fences lenient`. This proves the fixtures genuine and the script in sync.
# Venv and pip cache persist in ~/.cache/planvec-peers (shared with other peer checks; we only
# add to the venv). Warm run: about 8 s. Exits non-zero on any difference or self-check failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

PEERS="${HOME}/.cache/planvec-peers"
VENV="${PEERS}/venv"
export PIP_CACHE_DIR="${PEERS}/pip"
# The fixture records the version it was made with; another cmark-gfm may parse edge cases differently.
CMARKGFM_VERSION="2025.10.22"

if [[ ! -x "${VENV}/bin/python" ]]; then
  mkdir -p "${PEERS}"
  python3 -m venv "${VENV}"
fi
if ! "${VENV}/bin/python" -c "from importlib.metadata import version; assert version('cmarkgfm') == '${CMARKGFM_VERSION}'" 2>/dev/null; then
  echo "installing into ${VENV}: cmarkgfm==${CMARKGFM_VERSION}"
  "${VENV}/bin/python" -m pip install --quiet "cmarkgfm==${CMARKGFM_VERSION}"
fi

out="$(mktemp)"
trap 'rm -f "${out}"' EXIT
for fences in strict lenient; do
  fixture="test/fixtures/corpus/cmark-gfm-tasks.json"
  if [[ ${fences} == lenient ]]; then fixture="test/fixtures/corpus/cmark-gfm-tasks-lenient.json"; fi
  "${VENV}/bin/python" scripts/markdown/crosscheck_cmark_gfm.py \
    test/fixtures/corpus/plans test/fixtures/corpus/docs --base test/fixtures/corpus \
    --fences "${fences}" --out "${out}"
  if ! cmp -s "${out}" "${fixture}"; then
    echo "markdown peer: cmark-gfm's tasks (fences ${fences}) differ from ${fixture}:" >&2
    diff "${out}" "${fixture}" | head -40 >&2 || true
    exit 1
  fi
  echo "markdown peer: cmark-gfm reproduces ${fixture} ($(grep -c '"line"' "${out}") tasks in $(grep -c '"file"' "${out}") files)"
done
