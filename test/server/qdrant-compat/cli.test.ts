/**
 * `planvec serve-qdrant` as a user runs it: a child process on a free port over the embedded
 * store in a temp dir, stopped with SIGTERM, restarted on the same data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../helpers/cli.js";

const entry = fileURLToPath(new URL("../../../src/cli/run.ts", import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planvec-serve-qdrant-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start the CLI and resolve with its URL once it prints the listening line. */
function serve(
  args: string[],
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", entry, "serve-qdrant", "--port", "0", ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    let stdout = "";
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve({ child, url: match[1], exited });
    });
    void exited.then((code) => reject(new Error(`serve-qdrant exited with ${code}: ${stderr}`)));
  });
}

async function json(url: string, method = "GET", body?: unknown, key?: string) {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...(key ? { "api-key": key } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: reading JSON answers in a test
  return { status: response.status, body: (await response.json()) as any };
}

describe("planvec serve-qdrant", () => {
  it("serves the embedded store, stops on SIGTERM with exit 0, and keeps the data", async () => {
    const data = join(dir, "store");
    const first = await serve(["--data", data, "--api-key", "abc"]);
    expect((await json(`${first.url}/collections`)).status).toBe(401);
    await json(`${first.url}/collections/notes`, "PUT", { vectors: { size: 3, distance: "Cosine" } }, "abc");
    const upsert = await json(
      `${first.url}/collections/notes/points?wait=true`,
      "PUT",
      { points: [{ id: 1, vector: [1, 0, 0], payload: { title: "kept" } }] },
      "abc",
    );
    expect(upsert.body.result.status).toBe("completed");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = await serve(["--data", data, "--api-key", "abc"]);
    const point = await json(`${second.url}/collections/notes/points/1`, "GET", undefined, "abc");
    expect(point.body.result.payload).toEqual({ title: "kept" });
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("rejects a bad port with a usage error (exit 2)", async () => {
    const result = await runCli(["serve-qdrant", "--port", "70000"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port must be an integer from 0 to 65535/);
  });

  it("reports a port in use as a runtime error (exit 3)", async () => {
    const taken = await serve(["--data", join(dir, "other")]);
    const port = new URL(taken.url).port;
    const result = await runCli(["serve-qdrant", "--port", port, "--data", join(dir, "third")]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/already in use/);
    taken.child.kill("SIGTERM");
    expect(await taken.exited).toBe(0);
  });

  it("documents its options in --help", async () => {
    const result = await runCli(["serve-qdrant", "--help"]);
    expect(result.code).toBe(0);
    for (const flag of ["--host", "--port", "--api-key", "--data", "--max-request-size-mb"]) {
      expect(result.stdout).toContain(flag);
    }
  });
});
