/**
 * A collection of a running Qdrant (or planvec's Qdrant-compatible server), read with the
 * REST scroll API a page at a time, vectors and payloads included. Plain `fetch` against the
 * documented endpoints (`GET /collections/{name}`, `POST .../points/count`,
 * `POST .../points/scroll`) keeps the reader independent of any client library version.
 */
import { SourceFormatError } from "../errors.js";
import { recordFromObject, type SourceRecord } from "../record.js";
import type { RecordSource } from "./source.js";

export interface QdrantSourceOptions {
  /** Base URL, e.g. http://localhost:6333. */
  url: string;
  collection: string;
  /** Named vector to read; default: the unnamed vector, or the only named one. */
  vectorName?: string | undefined;
  apiKey?: string | undefined;
  /** Points per scroll page (default 256). */
  pageSize?: number | undefined;
}

/** Parse `qdrant:URL`, `http(s)://HOST/collections/NAME` into a URL and collection. */
export function parseQdrantSource(
  spec: string,
  collection: string | undefined,
): { url: string; collection: string } | null {
  const text = spec.startsWith("qdrant:") ? spec.slice("qdrant:".length) : spec;
  if (!/^https?:\/\//.test(text)) return null;
  const match = /^(.*?)\/collections\/([^/?#]+)\/?$/.exec(text);
  if (match !== null) return { url: match[1] as string, collection: decodeURIComponent(match[2] as string) };
  if (collection === undefined) {
    throw new SourceFormatError(
      "migrate.read",
      "missing_collection",
      `${spec}: name the source collection with --source-collection or use URL/collections/NAME`,
    );
  }
  return { url: text.replace(/\/$/, ""), collection };
}

async function call(options: QdrantSourceOptions, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers["api-key"] = options.apiKey;
  const url = `${options.url}/collections/${encodeURIComponent(options.collection)}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new SourceFormatError(
      "migrate.read",
      "unavailable",
      `cannot reach Qdrant at ${options.url}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SourceFormatError(
      "migrate.read",
      response.status === 404 ? "not_found" : "rejected",
      `Qdrant ${url} answered ${response.status}: ${text.slice(0, 500)}`,
    );
  }
  return (JSON.parse(text) as { result: unknown }).result;
}

export async function qdrantSource(options: QdrantSourceOptions): Promise<RecordSource> {
  const info = (await call(options, "")) as {
    config?: { params?: { vectors?: unknown } };
    points_count?: number | null;
  };
  const vectors = info.config?.params?.vectors as Record<string, unknown> | undefined;
  let dims: number | undefined;
  let distance: "Cosine" | "Dot" | "Euclid" | undefined;
  let vectorName = options.vectorName;
  if (vectors && typeof vectors.size === "number") {
    if (vectorName !== undefined) {
      throw new SourceFormatError(
        "migrate.read",
        "invalid_argument",
        `collection ${options.collection} has no named vectors (drop --vector-name)`,
      );
    }
    dims = vectors.size;
    distance = vectors.distance as typeof distance;
  } else if (vectors) {
    const names = Object.keys(vectors);
    if (vectorName === undefined && names.length === 1) vectorName = names[0];
    if (vectorName === undefined || !(vectorName in vectors)) {
      throw new SourceFormatError(
        "migrate.read",
        "invalid_argument",
        `collection ${options.collection} has named vectors ${names.join(", ")}: choose one with --vector-name`,
      );
    }
    const chosen = vectors[vectorName] as { size?: number; distance?: typeof distance };
    dims = chosen.size;
    distance = chosen.distance;
  }
  const count = ((await call(options, "/points/count", { exact: true })) as { count: number }).count;
  let done = 0;
  return {
    format: "qdrant",
    description: `${options.url} collection ${options.collection}${vectorName ? ` vector ${vectorName}` : ""}`,
    facts: { dims, count, distance },
    async *records() {
      done = 0;
      let offset: unknown = null;
      let index = 0;
      for (;;) {
        const page = (await call(options, "/points/scroll", {
          limit: options.pageSize ?? 256,
          offset,
          with_payload: true,
          with_vector: vectorName === undefined ? true : [vectorName],
        })) as { points: Array<Record<string, unknown>>; next_page_offset?: unknown };
        const out: SourceRecord[] = page.points.map((point) => {
          const record = recordFromObject(point, index, `point ${JSON.stringify(point.id)}`, { vectorName });
          index++;
          return record;
        });
        done += out.length;
        if (out.length > 0) yield out;
        offset = page.next_page_offset ?? null;
        if (offset === null) break;
      }
    },
    progress: () => ({ done, total: count, unit: "points" }),
  };
}
