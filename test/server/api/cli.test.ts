import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEntry, runCli, tsxLoader } from "../../helpers/cli.js";

function workdir(yaml: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), "planvec-svc-cli-"));
  writeFileSync(join(dir, "planvec.yaml"), yaml);
  return {
    dir,
    env: {
      CONFIG_PATH: join(dir, "planvec.yaml"),
      QDRANT_API_KEY: "",
      REDIS_URL: "",
      LOG_LEVEL: "",
      ENV: "",
    },
  };
}

describe("planvec config show / keys / serve", () => {
  it("config show prints redacted values with their sources; invalid config exits 2 listing every problem", async () => {
    const { dir, env } = workdir("server:\n  port: 9001\n");
    const shown = await runCli(["config", "show", "--json", "--log-level", "debug"], {
      cwd: dir,
      env: { ...env, QDRANT_API_KEY: "qk-top-secret", REDIS_URL: "redis://:pw12345@127.0.0.1:6379" },
    });
    expect(shown.code).toBe(0);
    const json = JSON.parse(shown.stdout) as {
      config: { server: { port: number }; qdrant: { apiKey: string } };
      sources: Record<string, string>;
    };
    expect(json.config.server.port).toBe(9001);
    expect(json.sources["server.port"]).toMatch(/^file:/);
    expect(json.sources.logLevel).toBe("flag:--log-level");
    expect(json.sources["qdrant.apiKey"]).toBe("env:QDRANT_API_KEY");
    expect(shown.stdout).not.toMatch(/qk-top-secret|pw12345/);
    const text = await runCli(["config", "show"], { cwd: dir, env });
    expect(text.stdout).toMatch(/server\.port\s+9001\s+file:/);

    const bad = workdir("server:\n  port: -1\nlogLevel: loud\n");
    const invalid = await runCli(["config", "show"], {
      cwd: bad.dir,
      env: { ...bad.env, BATCH_SIZE: "lots" },
    });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("3 problems");
    expect(invalid.stderr).toContain("server.port = -1");
    expect(invalid.stderr).toContain('embedding.batchSize = "lots" (from env:BATCH_SIZE)');
  }, 60_000);

  it("keys create prints the key once; list never shows it; revoke works; bad scope exits 2", async () => {
    const { dir, env } = workdir(`dataDir: ${join(mkdtempSync(join(tmpdir(), "planvec-keys-")), "data")}\n`);
    const created = await runCli(["keys", "create", "--scope", "write", "--json"], { cwd: dir, env });
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[] };
    expect(key.scopes).toEqual(["write"]);
    const list = await runCli(["keys", "list", "--json"], { cwd: dir, env });
    expect(JSON.parse(list.stdout)).toMatchObject([{ id: key.id, scopes: ["write"], revokedAt: null }]);
    expect(list.stdout).not.toContain(key.key.slice(17) /* the secret, after pvk_<id>_ */);
    expect((await runCli(["keys", "revoke", key.id], { cwd: dir, env })).code).toBe(0);
    expect((await runCli(["keys", "revoke", key.id], { cwd: dir, env })).code).toBe(2);
    expect((await runCli(["keys", "create", "--scope", "root"], { cwd: dir, env })).code).toBe(2);
  }, 60_000);

  it("serve answers on the port and stops cleanly on SIGTERM", async () => {
    const data = join(mkdtempSync(join(tmpdir(), "planvec-serve-")), "data");
    const { dir, env } = workdir(
      `dataDir: ${data}\nstore:\n  spec: embedded:${data}/store\nembedding:\n  enabled: false\n`,
    );
    const child = spawn(process.execPath, ["--import", tsxLoader, cliEntry, "serve", "--port", "0"], {
      cwd: dir,
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const match = /on (http:\/\/[^ ]+) /.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.on("exit", () => reject(new Error(`serve exited: ${stderr}`)));
    });
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(stderr).toContain("shutting down");
  }, 60_000);
});
