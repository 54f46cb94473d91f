import picomatch from "picomatch";
import { PlanvecError } from "../core/errors.js";
import type { Embedder } from "../embedding/embedder.js";
import type { IndexState, RecordRow } from "../pipeline/index-state.js";
import { COLLECTIONS } from "../pipeline/records.js";
import type { Condition, Filter, VectorStore } from "../store/index.js";

export class SearchError extends PlanvecError {}

export type SearchMode = "hybrid" | "vector" | "keyword";

export interface SearchQuery {
  query: string;
  /** A collection name or "all". Default `roadmap_tasks`. */
  collection?: string;
  status?: "done" | "pending";
  /** Glob over the indexed file paths (picomatch), e.g. `plans/**` or `*v57*`. */
  file?: string;
  /** Case-insensitive text the section path must contain. */
  section?: string;
  limit?: number;
  mode?: SearchMode;
}

export interface SearchHit {
  score: number;
  collection: string;
  file: string;
  line: number;
  id: string | null;
  title: string;
  status: string | null;
  section: string[];
  text: string;
  /** Why it ranked: which retrievers found it and at which rank. */
  matchedBy: { vector?: number; keyword?: number; exactId?: boolean; fileName?: boolean };
}

export interface SearchContext {
  store: VectorStore;
  /** Needed for vector and hybrid modes. */
  embedder?: Embedder;
  state: IndexState;
}

/** Reciprocal rank fusion constant (Cormack et al. 2009); 60 is the usual choice. */
const RRF_K = 60;
/** Candidates taken from each retriever before fusion. */
const CANDIDATES = 50;

/**
 * Search the index. Hybrid (default) fuses vector search with the BM25 keyword index by
 * reciprocal rank fusion; an exact task id (`1.2.3`) in the query, and a query naming a
 * file, put those records first.
 */
export async function search(query: SearchQuery, context: SearchContext): Promise<SearchHit[]> {
  const text = query.query.trim();
  if (text.length === 0)
    throw new SearchError("search", "empty_query", "the query is empty; give some words to search for");
  const limit = query.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SearchError(
      "search",
      "invalid_limit",
      `--limit must be an integer from 1 to 1000, got ${query.limit}`,
    );
  }
  const mode = query.mode ?? "hybrid";
  const collections = resolveCollections(query.collection);
  const files = query.file ? matchingFiles(context.state, query.file) : undefined;
  const keywordFilter = { status: query.status, files, section: query.section };

  const fused = new Map<string, { row: RecordRow; score: number; matchedBy: SearchHit["matchedBy"] }>();
  const add = (row: RecordRow, score: number, by: Partial<SearchHit["matchedBy"]>) => {
    const entry = fused.get(row.pointId) ?? { row, score: 0, matchedBy: {} };
    entry.score += score;
    Object.assign(entry.matchedBy, by);
    fused.set(row.pointId, entry);
  };

  // The query's embedding starts first: it runs in the embedder's worker threads while this
  // thread answers the keyword side from SQLite. One turn of the event loop lets it get past
  // the cache lookups and reach a worker before SQLite holds this thread.
  let embedding: Promise<Float32Array[]> | null = null;
  if (mode !== "keyword") {
    if (!context.embedder) throw new SearchError("search", "no_embedder", "vector search needs an embedder");
    embedding = context.embedder.embed([text]);
    embedding.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    if (mode === "hybrid") await new Promise((resolve) => setImmediate(resolve));
  }
  if (mode !== "vector") {
    const hits = context.state.keywordSearch({
      query: text,
      collections,
      limit: CANDIDATES,
      ...keywordFilter,
    });
    hits.forEach((hit, rank) => {
      add(hit.row, mode === "keyword" ? hit.score : 1 / (RRF_K + rank + 1), { keyword: rank + 1 });
    });
  }
  if (embedding) {
    const [vector] = await embedding;
    const filter = storeFilter(context.state, query, files);
    for (const collection of collections) {
      const points = await context.store.search(collection, vector as Float32Array, {
        limit: CANDIDATES,
        filter,
        withPayload: false,
      });
      const rows = context.state.recordsByPointIds(points.map((point) => String(point.id)));
      points.forEach((point, rank) => {
        const row = rows.get(String(point.id));
        if (!row) return; // A point the index state does not know (written by another tool): not ours to show.
        add(row, mode === "vector" ? point.score : 1 / (RRF_K + rank + 1), { vector: rank + 1 });
      });
    }
  }

  // Exact ids and file names: what a user typing `1.2.3` or `plan-dev-v57` means.
  const boost = 10;
  for (const taskId of text.match(/\b\d+(?:\.\d+)+\b/g) ?? []) {
    for (const row of context.state.recordsByTaskId(taskId)) {
      if (!collections.includes(row.collection) || !passes(row, query, files)) continue;
      const namesFile = fileNamedIn(text, row.file);
      add(row, boost + (namesFile ? boost : 0), { exactId: true, ...(namesFile ? { fileName: true } : {}) });
    }
  }
  for (const entry of fused.values()) {
    if (!entry.matchedBy.fileName && fileNamedIn(text, entry.row.file)) {
      entry.score += 1 / RRF_K;
      entry.matchedBy.fileName = true;
    }
  }

  return [...fused.values()]
    .sort(
      (a, b) =>
        b.score - a.score || a.row.file.localeCompare(b.row.file) || a.row.payload.line - b.row.payload.line,
    )
    .slice(0, limit)
    .map(({ row, score, matchedBy }) => toHit(row, score, matchedBy));
}

function resolveCollections(collection: string | undefined): string[] {
  if (!collection) return ["roadmap_tasks"];
  if (collection === "all") return [...COLLECTIONS];
  if (!(COLLECTIONS as readonly string[]).includes(collection)) {
    throw new SearchError(
      "search",
      "unknown_collection",
      `unknown collection "${collection}"; use one of: ${COLLECTIONS.join(", ")}, all`,
    );
  }
  return [collection];
}

function matchingFiles(state: IndexState, glob: string): string[] {
  const isMatch = picomatch(glob, { nocase: true, basename: !glob.includes("/") });
  return state
    .files()
    .map((row) => row.file)
    .filter((file) => isMatch(file));
}

/** The same restrictions as the keyword side, as a store filter. */
function storeFilter(state: IndexState, query: SearchQuery, files: string[] | undefined): Filter | null {
  const must: Condition[] = [];
  if (query.status) must.push({ key: "status", match: { value: query.status } });
  if (files) must.push({ key: "file", match: { any: files.length > 0 ? files : ["\u0000none"] } });
  if (query.section) {
    const needle = query.section.toLowerCase();
    const ids: string[] = [];
    for (const collection of resolveCollections(query.collection)) {
      for (const row of state.recordsOfCollection(collection))
        if (row.section.toLowerCase().includes(needle)) ids.push(row.pointId);
    }
    must.push({ has_id: ids });
  }
  return must.length > 0 ? { must } : null;
}

function passes(row: RecordRow, query: SearchQuery, files: string[] | undefined): boolean {
  if (query.status && row.payload.status !== query.status) return false;
  if (files && !files.includes(row.file)) return false;
  if (query.section && !row.section.toLowerCase().includes(query.section.toLowerCase())) return false;
  return true;
}

/** True when the query contains the file's base name (without extension), e.g. `plan-dev-v57`. */
function fileNamedIn(query: string, file: string): boolean {
  const base = (file.split("/").at(-1) ?? file).replace(/\.[^.]+$/, "").toLowerCase();
  if (base.length < 4) return false;
  const q = query.toLowerCase();
  if (q.includes(base)) return true;
  // `v57` names plan-dev-v57-…: a version token that appears as a whole segment of the name.
  return (q.match(/\bv\d+[a-z]?\b/g) ?? []).some((token) => base.split(/[-_. ]/).includes(token));
}

function toHit(row: RecordRow, score: number, matchedBy: SearchHit["matchedBy"]): SearchHit {
  const payload = row.payload;
  return {
    score: Math.round(score * 1e6) / 1e6,
    collection: row.collection,
    file: row.file,
    line: payload.line,
    id: typeof payload.task_id === "string" ? payload.task_id : null,
    title: payload.title,
    status: typeof payload.status === "string" ? payload.status : null,
    section: payload.section,
    text: row.text,
    matchedBy,
  };
}
