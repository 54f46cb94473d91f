import { resolve } from "node:path";
import { createEmbedder, type LocalEmbedder } from "../embedding/embedder.js";
import { DEFAULT_STORE_SPEC, openStore, parseStoreSpec, type VectorStore } from "../store/index.js";
import type { KindGlobs } from "./discover.js";
import { IndexState } from "./index-state.js";
import type { SourceExtractor } from "./records.js";
import { planExtractor } from "./sources/plans.js";

export interface WorkspaceOptions {
  /** Store spec (`embedded:PATH` or `qdrant:URL`); default `PLANVEC_STORE`, else `embedded:./.planvec`. */
  store?: string;
  /** Where the index state lives; default the embedded store's directory, else `./.planvec`. */
  dataDir?: string;
  /** Open the embedding model (indexing and vector search need it; keyword search does not). */
  embedder?: boolean;
  fences?: "strict" | "lenient";
  env?: NodeJS.ProcessEnv;
}

/** Everything a command that reads or writes the index needs, opened together, closed together. */
export interface Workspace {
  store: VectorStore;
  state: IndexState;
  embedder: LocalEmbedder | undefined;
  kinds: KindGlobs[];
  close(): Promise<void>;
}

/** Extractors other than plans, registered by `sources/registry.ts` when present. */
let otherExtractors: SourceExtractor[] | undefined;

async function loadOtherExtractors(): Promise<SourceExtractor[]> {
  if (!otherExtractors) {
    const registry = (await import("./sources/registry.js").catch(() => ({ otherExtractors: [] }))) as {
      otherExtractors: SourceExtractor[];
    };
    otherExtractors = registry.otherExtractors;
  }
  return otherExtractors;
}

/**
 * Which extractor reads which files: the specific kinds (security policies, schemas,
 * manifests) first, so `SECURITY.md` is a policy and not a plan; Markdown plans last.
 */
export async function defaultKinds(options: { fences?: "strict" | "lenient" } = {}): Promise<KindGlobs[]> {
  const others = await loadOtherExtractors();
  const order = ["security-policy", "schema", "dependency-manifest"];
  const sorted = [...others].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  const plans = planExtractor({ fences: options.fences ?? "strict" });
  return [...sorted, plans].map((extractor) => ({ extractor, globs: extractor.defaultGlobs }));
}

export async function openWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const env = options.env ?? process.env;
  const spec = options.store ?? env.PLANVEC_STORE ?? DEFAULT_STORE_SPEC;
  const parsed = parseStoreSpec(spec);
  const dataDir = resolve(options.dataDir ?? (parsed.kind === "embedded" ? parsed.path : ".planvec"));
  const store = await openStore(spec);
  let state: IndexState | undefined;
  let embedder: LocalEmbedder | undefined;
  try {
    state = IndexState.open(dataDir, store.location);
    if (options.embedder) embedder = await createEmbedder({ env });
  } catch (error) {
    state?.close();
    await store.close();
    throw error;
  }
  const kinds = await defaultKinds({ fences: options.fences });
  const openedState = state;
  return {
    store,
    state: openedState,
    embedder,
    kinds,
    async close() {
      await embedder?.close();
      openedState.close();
      await store.close();
    },
  };
}
