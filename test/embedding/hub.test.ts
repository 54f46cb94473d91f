import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder } from "../../src/embedding/embedder.js";
import { EmbeddingError } from "../../src/embedding/errors.js";
import { fetchHubModel, hubModelDir, validateHubId } from "../../src/embedding/hub.js";
import { defaultModelDir } from "../../src/embedding/model-files.js";

/**
 * A hub on loopback serving the shipped model as `acme/minilm` in the hub's URL layout
 * (/{owner}/{name}/resolve/{revision}/{file}), with the ONNX graph behind a redirect as the
 * real hub does (it answers 302 to its CDN), `acme/gated` answering 401, and a request log.
 */
const shipped = defaultModelDir({});
const requests: string[] = [];
let server: Server;
let endpoint: string;
const work = mkdtempSync(join(tmpdir(), "planvec-hub-"));

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "";
    requests.push(url);
    const cdn = /^\/cdn\/(.+)$/.exec(url);
    const hub = /^\/acme\/(minilm|gated)\/resolve\/(main|v1)\/(.+)$/.exec(url);
    const file = cdn ? cdn[1] : hub?.[3];
    if (hub?.[1] === "gated") {
      res.writeHead(401).end("unauthorized");
      return;
    }
    if (hub && file?.endsWith(".onnx")) {
      res.writeHead(302, { location: `/cdn/${file}` }).end();
      return;
    }
    const path = file ? join(shipped, file) : "";
    if (!file || file.includes("..") || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-length": String(statSync(path).size) });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EmbeddingError);
    return `${(error as EmbeddingError).code}: ${(error as Error).message}`;
  }
  throw new Error("expected a failure");
}

describe("hub models", () => {
  it("downloads a hub model once, embeds like the same files locally, then works offline", async () => {
    const cacheDir = join(work, "cache-a");
    const env = { HF_ENDPOINT: endpoint, PLANVEC_CACHE_DIR: cacheDir };
    const progress: string[] = [];
    const hubEmbedder = await createEmbedder({
      model: "acme/minilm",
      cache: false,
      env,
      onWarning: (m) => progress.push(m),
    });
    const local = await createEmbedder({ cache: false, env: {} });
    try {
      expect(hubEmbedder.modelId).toBe("acme/minilm/int8");
      expect(progress.some((m) => m.includes("model_quantized.onnx"))).toBe(true);
      const text = "Implémenter le client Qdrant unifié";
      const [a] = await hubEmbedder.embed([text]);
      const [b] = await local.embed([text]);
      expect(Array.from(a as Float32Array)).toEqual(Array.from(b as Float32Array));
    } finally {
      await hubEmbedder.close();
      await local.close();
    }
    const dir = hubModelDir("acme/minilm", { cacheDir });
    expect(readdirSync(join(dir, "onnx"))).toEqual(["model_quantized.onnx"]);
    expect(readdirSync(dir).some((f) => f.endsWith(".part"))).toBe(false);

    // Second use: no request reaches the hub, even with it gone.
    const before = requests.length;
    const offline = await createEmbedder({
      model: "acme/minilm",
      cache: false,
      env: { ...env, HF_ENDPOINT: "http://127.0.0.1:9" },
    });
    await offline.close();
    expect(requests.length).toBe(before);
  });

  it("fetches the other variant on demand and honours @revision and PLANVEC_MODEL", async () => {
    const cacheDir = join(work, "cache-b");
    const embedder = await createEmbedder({
      cache: false,
      variant: "fp32",
      env: { HF_ENDPOINT: endpoint, PLANVEC_CACHE_DIR: cacheDir, PLANVEC_MODEL: "acme/minilm@v1" },
      onWarning: () => {},
    });
    try {
      expect(embedder.modelId).toBe("acme/minilm@v1/fp32");
      expect(
        existsSync(join(hubModelDir("acme/minilm", { cacheDir, revision: "v1" }), "onnx", "model.onnx")),
      ).toBe(true);
    } finally {
      await embedder.close();
    }
  });

  it("explains every failure: unknown model, gated model, unreachable hub, offline and not cached, bad id", async () => {
    const cacheDir = join(work, "cache-c");
    const base = { variant: "int8" as const, cacheDir, endpoint };
    expect(await codeOf(fetchHubModel("acme/nothing", base))).toMatch(
      /^model_not_found: .*config\.json.*404/,
    );
    expect(await codeOf(fetchHubModel("acme/gated", base))).toMatch(/^hub_denied: .*HF_TOKEN/);
    expect(await codeOf(fetchHubModel("acme/minilm", { ...base, endpoint: "http://127.0.0.1:9" }))).toMatch(
      /^hub_unreachable: .*PLANVEC_MODEL_DIR/,
    );
    expect(await codeOf(fetchHubModel("acme/minilm", { ...base, offline: true }))).toMatch(
      /^model_not_found: .*HF_HUB_OFFLINE/,
    );
    for (const id of ["../etc", "a/b/c", "", "acme/../x"]) {
      expect(() => validateHubId(id)).toThrow(EmbeddingError);
    }
    // Nothing half-downloaded is left to look complete.
    expect(existsSync(join(hubModelDir("acme/nothing", { cacheDir }), ".planvec-complete"))).toBe(false);
  });
});
