import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, runInRequest } from "../../src/logging/index.js";

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("createLogger", () => {
  it("writes JSON lines in production", () => {
    const out = capture();
    const { logger } = createLogger({ env: "production", destination: out.stream });
    logger.info({ requestId: "r-1", route: "/x" }, "handled");
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: "handled", requestId: "r-1", route: "/x" });
  });

  it("writes readable lines otherwise", () => {
    const out = capture();
    const { logger } = createLogger({ env: "development", destination: out.stream });
    logger.warn({ requestId: "r-2" }, "slow request");
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}slow request .*requestId=r-2\n$/);
  });

  it("never writes secrets: redacted fields, masked values anywhere, headers", () => {
    for (const env of ["production", "development"]) {
      const out = capture();
      const { logger, addSecret } = createLogger({
        env,
        destination: out.stream,
        secrets: ["qk-secret-123"],
      });
      logger.info({ qdrant: { apiKey: "other-key-999" }, password: "pw-in-field" }, "config loaded");
      logger.info("connecting with qk-secret-123 to qdrant");
      logger.info(
        { req: { headers: { authorization: "Bearer pvk_abc_def", "api-key": "pvk_x_y" } } },
        "request",
      );
      addSecret("pvk_created_secretvalue");
      logger.info({ note: "made key pvk_created_secretvalue" }, "key created");
      const text = out.text();
      for (const secret of [
        "qk-secret-123",
        "other-key-999",
        "pw-in-field",
        "pvk_abc_def",
        "pvk_x_y",
        "pvk_created_secretvalue",
      ]) {
        expect(text, `${env}: ${secret}`).not.toContain(secret);
      }
      expect(text).toContain("[redacted]");
      expect(text).toContain("connecting with");
    }
  });

  it("stamps lines written inside runInRequest with the request id, and only those", async () => {
    const out = capture();
    const { logger } = createLogger({ env: "production", destination: out.stream });
    const child = logger.child({ manager: "storage" });
    logger.info("before");
    await runInRequest("req-7", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      child.info("inside, after an await");
      logger.child({ reqId: "own" }).info("already bound");
    });
    logger.info("after");
    const lines = out
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([
      ["before", undefined],
      ["inside, after an await", "req-7"],
      ["already bound", "own"],
      ["after", undefined],
    ]);
  });
});
