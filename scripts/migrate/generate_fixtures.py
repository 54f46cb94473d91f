#!/usr/bin/env python3
"""Generate the migration test fixtures (test/fixtures/migrate/) in every input format.

The same small dataset (24 records, 8-d vectors) is written as the legacy vectorizer's JSON,
the Go migrator's shape, JSON Lines, gzip, NumPy .npy (float32/float64, C and Fortran order,
big-endian) with sidecars, and pickles (protocols 2-5, list of dicts, dict id -> vector,
dict id -> NumPy array), plus invalid and malicious inputs. `expected.json` holds the dataset
so the tests compare every reader against it.

Deterministic: same bytes on every run (fixed seed, gzip mtime 0). Needs NumPy for the .npy
files and NumPy-array pickles:  python3 scripts/migrate/generate_fixtures.py [OUT_DIR]
"""
import collections
import gzip
import json
import math
import os
import pickle
import random
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "migrate")
DIMS = 8
COUNT = 24
STATUSES = ["todo", "in_progress", "done", "blocked"]


def dataset():
    rng = random.Random(7)
    records = []
    for i in range(COUNT):
        vector = [round(rng.uniform(-1, 1), 6) for _ in range(DIMS)]
        payload = {
            "taskId": f"2.{i // 5}.{i % 5}",
            "description": f"Tâche {i}: migrer le module {['auth', 'mail', 'queue'][i % 3]} \"vers\" Go",
            "status": STATUSES[i % 4],
            "indentLevel": i % 3,
            "parentId": None if i % 5 == 0 else f"2.{i // 5}",
            "section": f"Phase {i // 8 + 1}",
            "isMVP": i % 2 == 0,
            "priority": ["high", "medium", "low"][i % 3],
            "estimatedTime": f"{i % 6 + 1}h",
            "category": ["backend", "docs"][i % 2],
            "lastUpdated": f"2025-03-{i + 1:02d}T10:00:00Z",
            "filePath": "projet/roadmaps/plans/plan-dev-v57.md",
            "tags": ["go", "migration"] if i % 4 == 0 else [],
        }
        records.append({"id": i + 1, "vector": vector, "payload": payload})
    return records


def write(name, data, mode="w"):
    path = os.path.join(OUT, name)
    with open(path, mode) as f:
        f.write(data)


def write_gzip(name, data: bytes):
    path = os.path.join(OUT, name)
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)


def go_shape(r):
    meta = dict(r["payload"])
    return {"id": f"task-{r['payload']['taskId']}", "vector": r["vector"], "metadata": meta, "source": "plan-dev-v57.md"}


def main():
    os.makedirs(OUT, exist_ok=True)
    records = dataset()
    write("expected.json", json.dumps(records, ensure_ascii=False, indent=1))

    # 1. Legacy vectorizer: JSON array, and {"points": [...]} as sent to Qdrant.
    legacy = json.dumps(records, ensure_ascii=False)
    write("legacy.json", legacy)
    write("legacy-points.json", json.dumps({"points": records}, indent=2))
    write("scroll-dump.json", json.dumps({"result": {"points": records, "next_page_offset": None}, "status": "ok", "time": 0.01}))
    # 2. Go migrator shape.
    go = [go_shape(r) for r in records]
    write("go.json", json.dumps(go, ensure_ascii=False))
    # 3. JSON Lines of both shapes, and gzip of several.
    write("legacy.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    write("go.jsonl", "\r\n".join(json.dumps(r) for r in go))  # CRLF, no final newline
    write_gzip("legacy.json.gz", legacy.encode())
    write_gzip("go.jsonl.gz", "".join(json.dumps(r) + "\n" for r in go).encode())

    # 4. NumPy matrices with sidecars.
    matrix = np.array([r["vector"] for r in records], dtype=np.float64)
    side_records = "".join(json.dumps({"id": r["id"], "payload": r["payload"]}, ensure_ascii=False) + "\n" for r in records)
    np.save(os.path.join(OUT, "matrix-f32c.npy"), matrix.astype("<f4"))
    write("matrix-f32c.jsonl", side_records)
    np.save(os.path.join(OUT, "matrix-f64f.npy"), np.asfortranarray(matrix))
    write("matrix-f64f.json", json.dumps([{"id": r["id"], "payload": r["payload"]} for r in records], ensure_ascii=False))
    np.save(os.path.join(OUT, "matrix-f8be.npy"), matrix.astype(">f8"))
    write("matrix-f8be.json", json.dumps([r["id"] for r in records]))
    with open(os.path.join(OUT, "matrix-f32f.npy"), "wb") as f:
        np.save(f, np.asfortranarray(matrix.astype("<f4")))
    with open(os.path.join(OUT, "matrix-f32f.npy"), "rb") as f:
        write_gzip("matrix-f32f.npy.gz", f.read())
    os.remove(os.path.join(OUT, "matrix-f32f.npy"))
    write("matrix-f32f.jsonl", side_records)
    np.save(os.path.join(OUT, "matrix-int.npy"), np.zeros((2, 3), dtype=np.int32))
    write("matrix-int.jsonl", '{"id": 1}\n{"id": 2}\n')

    # 5. Pickles, protocols 2-5.
    for protocol in (2, 3, 4, 5):
        write(f"records-p{protocol}.pkl", pickle.dumps(records, protocol=protocol), "wb")
    write("by-id-p4.pkl", pickle.dumps({r["id"]: r["vector"] for r in records}, protocol=4), "wb")
    write("by-key-records-p5.pkl", pickle.dumps({f"task-{r['id']}": {"vector": r["vector"], "payload": r["payload"]} for r in records}, protocol=5), "wb")
    write("by-id-numpy-p2.pkl", pickle.dumps({r["id"]: np.array(r["vector"], dtype=np.float32) for r in records}, protocol=2), "wb")
    write("by-id-numpy-p5.pkl", pickle.dumps({r["id"]: np.array(r["vector"], dtype=np.float64) for r in records}, protocol=5), "wb")
    write("ordered-p3.pkl", pickle.dumps([collections.OrderedDict(r) for r in records], protocol=3), "wb")
    write_gzip("records-p4.pkl.gz", pickle.dumps(records, protocol=4))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/planvec-pickle-pwned",))

    write("evil-p2.pkl", pickle.dumps([records[0], Evil()], protocol=2), "wb")
    write("evil-p5.pkl", pickle.dumps({"a": Evil()}, protocol=5), "wb")

    # Invalid records: each line says in its payload what is wrong with it.
    bad = [
        dict(records[0]),
        {"id": 2, "vector": [], "payload": {"why": "empty vector"}},
        {"id": 3, "vector": records[2]["vector"][:5], "payload": {"why": "wrong dims"}},
        {"id": 4, "vector": ["x"] * DIMS, "payload": {"why": "non-numeric"}},
        {"id": "task-five", "vector": records[4]["vector"], "payload": {"why": "string id -> uuid5"}},
        {"id": 1, "vector": records[5]["vector"], "payload": {"why": "duplicate of id 1"}},
        {"id": -7, "vector": records[6]["vector"], "payload": {"why": "negative id -> uuid5"}},
        {"id": {"x": 1}, "vector": records[7]["vector"], "payload": {"why": "object id"}},
        {"id": 9, "vector": records[8]["vector"], "payload": "not an object"},
        {"id": 10, "vector": records[9]["vector"]},
    ]
    lines = [json.dumps(r) for r in bad]
    lines.insert(3, '{"id": 11, "vector": [1, 2,')  # truncated JSON on its own line
    write("invalid.jsonl", "\n".join(lines) + "\n")
    nonfinite = [
        {"id": 1, "vector": [math.nan] + records[0]["vector"][1:], "payload": {}},
        {"id": 2, "vector": [math.inf] + records[1]["vector"][1:], "payload": {}},
        {"id": 3, "vector": records[2]["vector"], "payload": {}},
    ]
    write("nonfinite-p4.pkl", pickle.dumps(nonfinite, protocol=4), "wb")
    write("truncated.json", legacy[: len(legacy) // 2])


if __name__ == "__main__":
    main()
