import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export interface ParityItem {
  kind: "corpus-fr" | "en" | "edge";
  text: string;
  vector: number[];
}

/** test/fixtures/embedding/parity.json: sentence-transformers reference vectors (see its `about`). */
export function loadParity(): { items: ParityItem[]; dims: number; max_seq_length: number } {
  const path = fileURLToPath(new URL("../fixtures/embedding/parity.json", import.meta.url));
  return JSON.parse(readFileSync(path, "utf8"));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

export function norm(a: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) ** 2;
  return Math.sqrt(sum);
}

/**
 * Whether Redis tests can run. Without redis-server they are skipped locally with a visible
 * reason, but fail under CI=true: CI installs redis-server (.ci/system-packages.sh).
 */
export function redisAvailability(): { run: boolean; reason: string } {
  const found = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (found.status === 0) return { run: true, reason: "" };
  if (process.env.CI === "true") {
    throw new Error("redis-server is not installed but CI=true: run .ci/system-packages.sh");
  }
  return {
    run: false,
    reason: "redis-server not installed (apt-get install redis-server); Redis tests skipped",
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A real, throw-away redis-server on a free loopback port (no persistence). */
export class RedisServer {
  private process: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.spawn();
    return server;
  }

  async spawn(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  /** Kill the server (SIGKILL: an outage, not a clean shutdown) and wait for it to go. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}
