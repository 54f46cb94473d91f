import type { IndexState, RecordRow } from "../pipeline/index-state.js";
import type { VectorStore } from "../store/index.js";

/**
 * Default cosine threshold for near-duplicate tasks, chosen on the dev corpus (docs/benchmarks.md,
 * "Duplicates"): at 0.85 clusters mix related tasks (alerts vs notifications); at 0.92 the same
 * title under two different sections (about 0.91, since the section is embedded) is missed.
 */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.9;
/** Two plans sharing at least this share of their task titles are reported as copies, not task by task. */
export const FILE_COPY_THRESHOLD = 0.8;

export interface FileCopyFinding {
  files: [string, string];
  /** True when every task (title and status) is the same, in the same order. */
  identical: boolean;
  /** Share of task titles in common (Jaccard over title multisets). */
  similarity: number;
}

export interface DuplicateMember {
  file: string;
  line: number;
  title: string;
  status: string | null;
}

export interface DuplicateCluster {
  /** The lowest similarity among the pairs that joined the cluster. */
  similarity: number;
  /** Members disagree on status: done here, pending there. */
  statusConflict: boolean;
  members: DuplicateMember[];
}

export interface DuplicateReport {
  files: FileCopyFinding[];
  clusters: DuplicateCluster[];
}

export interface DuplicateOptions {
  threshold?: number;
  /** Neighbours examined per task. */
  neighbours?: number;
}

/**
 * Near-duplicate tasks across plans: copies of whole plans first (one finding per pair of
 * files), then clusters of tasks from different files whose vectors are within `threshold`
 * cosine, ignoring pairs between files already reported as copies.
 */
export async function findDuplicates(
  context: { store: VectorStore; state: IndexState },
  options: DuplicateOptions = {},
): Promise<DuplicateReport> {
  const threshold = options.threshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  const tasks = context.state.recordsOfCollection("roadmap_tasks");
  const byFile = groupBy(tasks, (row) => row.file);
  const files = fileCopies(byFile);
  const copyPairs = new Set(files.map((finding) => pairKey(finding.files[0], finding.files[1])));

  const byId = new Map(tasks.map((row) => [row.pointId, row]));
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(id, root);
    return root;
  };
  const weakest = new Map<string, number>();
  const pointIds = tasks.map((row) => row.pointId);
  const vectors = await context.store.get("roadmap_tasks", pointIds, {
    withPayload: false,
    withVector: true,
  });
  for (const point of vectors) {
    const row = byId.get(String(point.id));
    if (!row || !point.vector) continue;
    const neighbours = await context.store.search("roadmap_tasks", point.vector, {
      limit: options.neighbours ?? 20,
      scoreThreshold: threshold,
      withPayload: false,
    });
    for (const neighbour of neighbours) {
      const other = byId.get(String(neighbour.id));
      if (!other || other.pointId === row.pointId || other.file === row.file) continue;
      if (copyPairs.has(pairKey(row.file, other.file))) continue;
      const a = find(row.pointId);
      const b = find(other.pointId);
      const joined = Math.min(weakest.get(a) ?? 1, weakest.get(b) ?? 1, neighbour.score);
      if (a !== b) parent.set(a, b);
      weakest.set(b, joined);
    }
  }

  const clusters = groupBy(
    tasks.filter((row) => parent.has(row.pointId)),
    (row) => find(row.pointId),
  );
  const result: DuplicateCluster[] = [];
  for (const [root, members] of clusters) {
    if (members.length < 2) continue;
    const statuses = new Set(members.map((row) => row.payload.status));
    result.push({
      similarity: Math.round((weakest.get(root) ?? threshold) * 10000) / 10000,
      statusConflict: statuses.has("done") && statuses.has("pending"),
      members: members.map((row) => ({
        file: row.file,
        line: row.payload.line,
        title: row.payload.title,
        status: typeof row.payload.status === "string" ? row.payload.status : null,
      })),
    });
  }
  result.sort(
    (a, b) =>
      Number(b.statusConflict) - Number(a.statusConflict) ||
      b.members.length - a.members.length ||
      b.similarity - a.similarity,
  );
  return { files, clusters: result };
}

function fileCopies(byFile: Map<string, RecordRow[]>): FileCopyFinding[] {
  const entries = [...byFile.entries()].filter(([, rows]) => rows.length >= 5);
  const findings: FileCopyFinding[] = [];
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [fileA, rowsA] = entries[i] as [string, RecordRow[]];
      const [fileB, rowsB] = entries[j] as [string, RecordRow[]];
      const similarity = multisetJaccard(rowsA.map(normalTitle), rowsB.map(normalTitle));
      if (similarity < FILE_COPY_THRESHOLD) continue;
      const identical =
        rowsA.length === rowsB.length &&
        rowsA.every(
          (row, k) =>
            normalTitle(row) === normalTitle(rowsB[k] as RecordRow) &&
            row.payload.status === rowsB[k]?.payload.status,
        );
      findings.push({ files: [fileA, fileB], identical, similarity: Math.round(similarity * 10000) / 10000 });
    }
  }
  return findings;
}

function normalTitle(row: RecordRow): string {
  return row.payload.title.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

function multisetJaccard(a: string[], b: string[]): number {
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  let intersection = 0;
  for (const x of b) {
    const n = counts.get(x) ?? 0;
    if (n > 0) {
      intersection++;
      counts.set(x, n - 1);
    }
  }
  const union = a.length + b.length - intersection;
  return union === 0 ? 0 : intersection / union;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
