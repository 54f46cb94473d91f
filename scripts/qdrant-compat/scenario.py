#!/usr/bin/env python3
"""Scripted qdrant-client scenario against `planvec serve-qdrant` (run by .ci/peers.d/qdrant-compat.sh).

The official Python client, which our users' legacy tooling uses, drives the server through a
realistic session: create, upsert 1,000 points with payloads, filtered query, scroll all pages,
count, delete by filter, payload operations. Every answer is checked against a brute-force
evaluation done here with numpy, so a wrong result fails, not only an error.

Usage: scenario.py URL [API_KEY]
"""

import sys
import uuid

import numpy as np
from qdrant_client import QdrantClient, models

URL = sys.argv[1]
API_KEY = sys.argv[2] if len(sys.argv) > 2 else None
COLLECTION = "peer_scenario"
DIMS = 32
N = 1000
checks = 0


def check(condition, message):
    global checks
    if not condition:
        raise AssertionError(message)
    checks += 1


def main():
    # prefer_grpc=False: the server speaks REST only. check_compatibility warns on version skew.
    client = QdrantClient(url=URL, api_key=API_KEY, prefer_grpc=False, timeout=60, https=False)

    if client.collection_exists(COLLECTION):
        client.delete_collection(COLLECTION)
    client.create_collection(
        COLLECTION, vectors_config=models.VectorParams(size=DIMS, distance=models.Distance.COSINE)
    )
    check(client.collection_exists(COLLECTION), "collection exists after create")

    rng = np.random.default_rng(42)
    vectors = rng.normal(size=(N, DIMS)).astype(np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    colors = ["red", "green", "blue", "yellow"]
    payloads = [
        {
            "n": i,
            "color": colors[i % 4],
            "tags": ["even" if i % 2 == 0 else "odd", f"mod5_{i % 5}"],
            "meta": {"owner": f"user{i % 7}"},
        }
        for i in range(N)
    ]
    # Half integer ids, half UUIDs, uploaded in batches as users do.
    ids = [i if i < N // 2 else str(uuid.UUID(int=i)) for i in range(N)]
    for start in range(0, N, 250):
        client.upsert(
            COLLECTION,
            points=[
                models.PointStruct(id=ids[i], vector=vectors[i].tolist(), payload=payloads[i])
                for i in range(start, min(N, start + 250))
            ],
            wait=True,
        )
    info = client.get_collection(COLLECTION)
    check(info.points_count == N, f"points_count {info.points_count} == {N}")
    check(info.config.params.vectors.size == DIMS, "vector size reported")

    # Filtered query: nearest among red points owned by user3, brute force as the reference.
    query = rng.normal(size=DIMS).astype(np.float32)
    qn = query / np.linalg.norm(query)
    keep = [i for i in range(N) if payloads[i]["color"] == "red" and payloads[i]["meta"]["owner"] != "user3"]
    scores = unit[keep] @ qn
    order = np.argsort(-scores)[:10]
    expected = [ids[keep[j]] for j in order]
    result = client.query_points(
        COLLECTION,
        query=query.tolist(),
        query_filter=models.Filter(
            must=[models.FieldCondition(key="color", match=models.MatchValue(value="red"))],
            must_not=[models.FieldCondition(key="meta.owner", match=models.MatchValue(value="user3"))],
        ),
        limit=10,
        with_payload=True,
    ).points
    check([p.id for p in result] == expected, f"filtered query ids {[p.id for p in result]} != {expected}")
    check(abs(result[0].score - float(scores[order[0]])) < 1e-4, "top score matches brute force")
    check(all(p.payload["color"] == "red" for p in result), "payloads returned and filtered")

    # Range + match any, with a score threshold.
    result = client.query_points(
        COLLECTION,
        query=query.tolist(),
        query_filter=models.Filter(
            must=[
                models.FieldCondition(key="n", range=models.Range(gte=100, lt=600)),
                models.FieldCondition(key="tags", match=models.MatchAny(any=["mod5_1", "mod5_2"])),
            ]
        ),
        score_threshold=0.2,
        limit=1000,
    ).points
    keep2 = [i for i in range(N) if 100 <= i < 600 and i % 5 in (1, 2)]
    expected2 = {ids[i] for i in keep2 if float(unit[i] @ qn) >= 0.2}
    check({p.id for p in result} == expected2, "range/any/threshold query matches brute force")

    # Scroll every page.
    seen, offset, pages = [], None, 0
    while True:
        points, offset = client.scroll(
            COLLECTION,
            scroll_filter=models.Filter(must=[models.FieldCondition(key="tags", match=models.MatchValue(value="even"))]),
            limit=64,
            offset=offset,
            with_payload=False,
        )
        seen.extend(p.id for p in points)
        pages += 1
        if offset is None:
            break
    even = [ids[i] for i in range(N) if i % 2 == 0]
    check(sorted(map(str, seen)) == sorted(map(str, even)) and len(seen) == len(even), "scroll returns every even point once")
    check(pages == -(-len(even) // 64), f"scroll pages {pages}")

    # Count.
    check(client.count(COLLECTION, exact=True).count == N, "count all")
    blue = models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value="blue"))])
    check(client.count(COLLECTION, count_filter=blue).count == N // 4, "count blue")

    # Delete by filter.
    client.delete(COLLECTION, points_selector=models.FilterSelector(filter=blue), wait=True)
    check(client.count(COLLECTION).count == N - N // 4, "count after delete by filter")
    check(client.count(COLLECTION, count_filter=blue).count == 0, "no blue left")

    # Payload operations.
    client.set_payload(COLLECTION, payload={"reviewed": True}, points=[0, 1], wait=True)
    client.overwrite_payload(COLLECTION, payload={"only": 1}, points=[3], wait=True)
    client.delete_payload(COLLECTION, keys=["tags"], points=[0], wait=True)
    client.clear_payload(COLLECTION, points_selector=[5], wait=True)
    client.set_payload(
        COLLECTION,
        payload={"flag": "x"},
        points=models.Filter(must=[models.FieldCondition(key="n", range=models.Range(gte=990))]),
        wait=True,
    )
    got = {p.id: p.payload for p in client.retrieve(COLLECTION, ids=[0, 1, 3, 5], with_payload=True)}
    check(got[0] == {"n": 0, "color": "red", "meta": {"owner": "user0"}, "reviewed": True}, f"payload 0: {got[0]}")
    check(got[1]["reviewed"] is True and got[1]["tags"] == ["odd", "mod5_1"], "payload 1")
    check(got[3] == {"only": 1}, "overwrite payload")
    check(got[5] == {}, "clear payload")
    flag = models.Filter(must=[models.FieldCondition(key="flag", match=models.MatchValue(value="x"))])
    check(client.count(COLLECTION, count_filter=flag).count == len([i for i in range(990, N) if i % 4 != 2]), "set by filter")

    # Query by point id, retrieve with vectors, payload index, batch update.
    by_id = client.query_points(COLLECTION, query=7, limit=5).points
    check(7 not in [p.id for p in by_id] and len(by_id) == 5, "query by id excludes the point")
    rec = client.retrieve(COLLECTION, ids=[ids[700]], with_vectors=True)[0]
    check(np.allclose(rec.vector, unit[700], atol=1e-5), "vector round trip (cosine: normalised)")
    client.create_payload_index(COLLECTION, field_name="color", field_schema=models.PayloadSchemaType.KEYWORD)
    check("color" in client.get_collection(COLLECTION).payload_schema, "payload index reported")
    client.batch_update_points(
        COLLECTION,
        update_operations=[
            models.UpsertOperation(upsert=models.PointsList(points=[models.PointStruct(id=5000, vector=[0.1] * DIMS)])),
            models.DeleteOperation(delete=models.PointIdsList(points=[5000])),
        ],
    )
    check(client.retrieve(COLLECTION, ids=[5000]) == [], "batch upsert+delete")

    # Errors come back as the client's exceptions with Qdrant's statuses.
    try:
        client.upsert(COLLECTION, points=[models.PointStruct(id=1, vector=[0.0, 1.0])])
        check(False, "wrong dimension must fail")
    except Exception as error:  # noqa: BLE001 - the client raises UnexpectedResponse
        check("dimension" in str(error), f"dimension error surfaced: {error}")

    check(client.delete_collection(COLLECTION) is True, "delete collection")
    check(client.delete_collection(COLLECTION) is False, "delete missing collection answers false")
    print(f"qdrant-client scenario: {checks} checks passed")


if __name__ == "__main__":
    main()
