import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, REDACTED, redactConfig, secretValues } from "../../src/config/index.js";

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "planvec-config-"));
  const file = join(dir, "planvec.yaml");
  writeFileSync(file, text);
  return file;
}

describe("loadConfig", () => {
  it("gives defaults with source 'default' when nothing is set", () => {
    const { config, sources } = loadConfig({ env: {}, file: yamlFile("") });
    expect(config.server.port).toBe(8080);
    expect(config.env).toBe("development");
    expect(sources["server.port"]).toBe("default");
  });

  it("applies precedence flags > env > file > defaults and records each source", () => {
    const file = yamlFile(
      "server:\n  port: 7000\n  host: 0.0.0.0\nlogLevel: debug\nembedding:\n  batchSize: 8\n",
    );
    const env = { PLANVEC_PORT: "7100", LOG_LEVEL: "warn" };
    const { config, sources } = loadConfig({
      env,
      file,
      flags: { "server.port": 7200 },
      flagNames: { "server.port": "--port" },
    });
    expect(config.server.port).toBe(7200);
    expect(sources["server.port"]).toBe("flag:--port");
    expect(config.logLevel).toBe("warn");
    expect(sources.logLevel).toBe("env:LOG_LEVEL");
    expect(config.server.host).toBe("0.0.0.0");
    expect(sources["server.host"]).toBe(`file:${file}`);
    expect(config.embedding.batchSize).toBe(8);
    expect(config.server.rateLimitMax).toBe(6000);
    expect(sources["server.rateLimitMax"]).toBe("default");
  });

  it("reads the issue's environment variables and CONFIG_PATH", () => {
    const file = yamlFile("env: test\n");
    const { config, sources } = loadConfig({
      env: {
        CONFIG_PATH: file,
        QDRANT_URL: "http://127.0.0.1:6333",
        QDRANT_HOST: "qdrant.internal",
        QDRANT_PORT: "6334",
        QDRANT_API_KEY: "qk-secret-123",
        REDIS_URL: "redis://:hunter22@127.0.0.1:6379/0",
        BATCH_SIZE: "64",
        PYTHON_DATA_PATH: "/data/py",
        PLANVEC_SERVER__RATE_LIMIT_MAX: "42",
        PLANVEC_SERVER__METRICS_PUBLIC: "true",
      },
    });
    expect(config.env).toBe("test");
    expect(config.qdrant).toEqual({
      url: "http://127.0.0.1:6333",
      host: "qdrant.internal",
      port: 6334,
      apiKey: "qk-secret-123",
    });
    expect(config.embedding.batchSize).toBe(64);
    expect(config.migration.pythonDataPath).toBe("/data/py");
    expect(config.server.rateLimitMax).toBe(42);
    expect(config.server.metricsPublic).toBe(true);
    expect(sources["server.rateLimitMax"]).toBe("env:PLANVEC_SERVER__RATE_LIMIT_MAX");
    expect(sources["qdrant.port"]).toBe("env:QDRANT_PORT");
  });

  it("lists every problem with key, value, expected and source", () => {
    const file = yamlFile("server:\n  port: 99999\n  prot: 1\nlogLevel: loud\n");
    let error: unknown;
    try {
      loadConfig({ env: { BATCH_SIZE: "many", QDRANT_API_KEY: "super-secret-key", QDRANT_PORT: "x" }, file });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const byKey = Object.fromEntries(problems.map((p) => [p.key, p]));
    expect(Object.keys(byKey).sort()).toEqual([
      "embedding.batchSize",
      "logLevel",
      "qdrant.port",
      "server.port",
      "server.prot",
    ]);
    expect(byKey["server.port"]).toMatchObject({ value: 99999, source: `file:${file}` });
    expect(byKey["server.port"]?.expected).toMatch(/65535/);
    expect(byKey["embedding.batchSize"]).toMatchObject({ value: "many", source: "env:BATCH_SIZE" });
    expect(byKey["embedding.batchSize"]?.expected).toMatch(/number/);
    expect(byKey.logLevel?.expected).toMatch(/info/);
    expect(byKey["server.prot"]?.expected).toMatch(/no such key.*port/);
    expect((error as Error).message).toContain("server.port = 99999");
    expect((error as Error).message).not.toContain("super-secret-key");
  });

  it("reports unreadable YAML as a problem", () => {
    const file = yamlFile("server: [unclosed\n");
    expect(() => loadConfig({ env: {}, file })).toThrow(/readable YAML/);
  });

  it("redacts secrets and URL credentials but keeps the rest", () => {
    const { config } = loadConfig({
      env: { QDRANT_API_KEY: "qk-secret-123", REDIS_URL: "redis://:hunter22@127.0.0.1:6379/0" },
      file: yamlFile(""),
    });
    const shown = redactConfig(config);
    expect(shown.qdrant.apiKey).toBe(REDACTED);
    expect(shown.redis.url).toBe(`redis://${REDACTED}@127.0.0.1:6379/0`);
    expect(shown.server.port).toBe(8080);
    expect(JSON.stringify(shown)).not.toMatch(/hunter22|qk-secret-123/);
    expect(secretValues(config).sort()).toEqual(["hunter22", "qk-secret-123"]);
  });
});
