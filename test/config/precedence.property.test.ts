import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";

const dir = mkdtempSync(join(tmpdir(), "planvec-config-prop-"));
let n = 0;

describe("config precedence (property)", () => {
  it("the effective value and its source come from the highest layer that sets it", () => {
    const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined });
    fc.assert(
      fc.property(port, port, port, (fromFile, fromEnv, fromFlag) => {
        const file = join(dir, `c${n++}.yaml`);
        writeFileSync(file, fromFile === undefined ? "" : `server:\n  port: ${fromFile}\n`);
        const env = fromEnv === undefined ? {} : { PLANVEC_PORT: String(fromEnv) };
        const { config, sources } = loadConfig({
          env,
          file,
          flags: { "server.port": fromFlag },
          flagNames: { "server.port": "--port" },
        });
        const expected = fromFlag ?? fromEnv ?? fromFile ?? 8080;
        const source =
          fromFlag !== undefined
            ? "flag:--port"
            : fromEnv !== undefined
              ? "env:PLANVEC_PORT"
              : fromFile !== undefined
                ? `file:${file}`
                : "default";
        expect(config.server.port).toBe(expected);
        expect(sources["server.port"]).toBe(source);
      }),
      { numRuns: 100 },
    );
  });

  it("any out-of-range or non-numeric port is reported with its key, value and source, never accepted", () => {
    const bad = fc.oneof(
      fc.integer({ min: 65536, max: 10_000_000 }),
      fc.integer({ min: -10_000, max: -1 }),
      fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/^\s*-?\d+\s*$/.test(s)),
    );
    fc.assert(
      fc.property(bad, (value) => {
        const env = { PLANVEC_PORT: String(value) };
        if (String(value).trim() === "") return;
        let error: unknown;
        try {
          loadConfig({ env, file: "/dev/null" });
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toMatchObject([
          { key: "server.port", source: "env:PLANVEC_PORT" },
        ]);
      }),
      { numRuns: 100 },
    );
  });
});
