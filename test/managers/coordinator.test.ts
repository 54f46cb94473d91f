import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { EventBus } from "../../src/events/index.js";
import { createLogger } from "../../src/logging/index.js";
import {
  ApiKeyStore,
  BaseManager,
  Coordinator,
  type ManagerContext,
  ManagerStartError,
  type RoadmapManager,
  type StorageManager,
  scopeAllows,
  serviceManagers,
} from "../../src/managers/index.js";

const quiet = createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }).logger;
const tmp = () => mkdtempSync(join(tmpdir(), "planvec-managers-"));

class Probe extends BaseManager {
  constructor(
    readonly name: string,
    readonly dependsOn: string[],
    private readonly log: string[],
    private readonly options: { failStart?: boolean; unhealthy?: boolean } = {},
  ) {
    super();
  }
  protected async onStart(_context: ManagerContext): Promise<void> {
    if (this.options.failStart) throw new Error(`${this.name} cannot bind its port`);
    this.log.push(`start ${this.name}`);
  }
  protected override async onStop(): Promise<void> {
    this.log.push(`stop ${this.name}`);
  }
  protected override async onCheck(): Promise<void> {
    if (this.options.unhealthy) throw new Error(`${this.name} lost its connection`);
  }
}

function coordinator(): { coordinator: Coordinator; bus: EventBus } {
  const bus = new EventBus();
  const { config } = loadConfig({ env: {}, file: "/dev/null" });
  return { coordinator: new Coordinator({ config, logger: quiet, bus }), bus };
}

describe("Coordinator", () => {
  it("starts in dependency order and stops in reverse", async () => {
    const log: string[] = [];
    const { coordinator: c } = coordinator();
    c.register(
      new Probe("api", ["search", "security"], log),
      new Probe("search", ["storage"], log),
      new Probe("storage", [], log),
      new Probe("security", [], log),
    );
    await c.start();
    expect(log).toEqual(["start storage", "start search", "start security", "start api"]);
    log.length = 0;
    await c.stop();
    expect(log).toEqual(["stop api", "stop security", "stop search", "stop storage"]);
    expect(c.get("api").status().state).toBe("stopped");
  });

  it("detects cycles and names them", async () => {
    const { coordinator: c } = coordinator();
    c.register(new Probe("a", ["b"], []), new Probe("b", ["c"], []), new Probe("c", ["a"], []));
    await expect(c.start()).rejects.toThrow("dependency cycle between managers: a -> b -> c -> a");
    const { coordinator: d } = coordinator();
    d.register(new Probe("a", ["ghost"], []));
    expect(() => d.order()).toThrow('manager "a" depends on "ghost", which is not registered');
    expect(() => d.register(new Probe("a", [], []))).toThrow(/already registered/);
  });

  it("a failing start stops the started ones in reverse and says why", async () => {
    const log: string[] = [];
    const { coordinator: c, bus } = coordinator();
    const states: string[] = [];
    bus.subscribe("manager.state", (e) => {
      states.push(`${e.payload.name}:${e.payload.state}`);
    });
    c.register(
      new Probe("storage", [], log),
      new Probe("embedding", ["storage"], log),
      new Probe("search", ["embedding"], log, { failStart: true }),
      new Probe("later", ["search"], log),
    );
    const error = await c.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagerStartError);
    expect((error as ManagerStartError).manager).toBe("search");
    expect((error as Error).message).toBe(
      'manager "search" failed to start: search cannot bind its port; stopped again: embedding, storage',
    );
    expect(log).toEqual(["start storage", "start embedding", "stop embedding", "stop storage"]);
    expect(c.get("search").status()).toMatchObject({
      state: "failed",
      errors: ["search cannot bind its port"],
    });
    expect(c.get("later").status().state).toBe("registered");
    await bus.drain();
    expect(states).toContain("search:failed");
    expect(states).toContain("storage:stopped");
  });

  it("aggregates health: ok, degraded, down", async () => {
    const { coordinator: c } = coordinator();
    c.register(new Probe("good", [], []), new Probe("flaky", [], [], { unhealthy: true }));
    await c.start();
    const degraded = await c.health();
    expect(degraded.status).toBe("degraded");
    expect(degraded.managers.flaky?.errors).toEqual(["flaky lost its connection"]);
    expect(degraded.managers.good?.lastCheck).toMatch(/^\d{4}-/);
    await c.get("flaky").stop();
    expect((await c.health()).status).toBe("down");
    await c.stop();
  });
});

describe("real managers", () => {
  it("start over a real embedded store, report status and metrics, stop cleanly", async () => {
    const dir = tmp();
    const loaded = loadConfig({
      env: {},
      file: "/dev/null",
      flags: { dataDir: dir, "store.spec": `embedded:${join(dir, "store")}`, "embedding.enabled": false },
    });
    const bus = new EventBus();
    const c = new Coordinator({ config: loaded.config, logger: quiet, bus });
    c.register(...serviceManagers(loaded));
    expect(c.order().map((m) => m.name)).toEqual([
      "config",
      "monitoring",
      "security",
      "storage",
      "embedding",
      "roadmap",
      "search",
      "dependencies",
      "schemas",
      "security-policies",
    ]);
    await c.start();
    const health = await c.health();
    expect(health.status).toBe("ok");
    expect(Object.keys(health.managers)).toHaveLength(10);
    const storage = c.get<StorageManager>("storage");
    await storage.store.ensureCollection("notes", { dims: 3, distance: "Cosine" });
    await storage.store.upsert("notes", [{ id: 1, vector: [1, 0, 0], payload: { t: "a" } }]);
    expect(await storage.collections()).toEqual([{ name: "notes", points: 1 }]);
    expect(c.get<RoadmapManager>("roadmap").progress().overall.total).toBe(0);
    await c.stop();
    expect(Object.values((await c.health()).managers).every((s) => s.state === "stopped")).toBe(true);
  });
});

describe("ApiKeyStore", () => {
  it("creates, verifies, lists without secrets, and revokes keys", () => {
    const path = join(tmp(), "service.db");
    const keys = ApiKeyStore.open(path);
    const created = keys.create(["write"], "ci");
    expect(created.key).toMatch(/^pvk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(keys.verify(created.key)).toMatchObject({ id: created.id, scopes: ["write"] });
    expect(keys.verify(`${created.key.slice(0, -1)}x`)).toBeNull();
    expect(keys.verify("nonsense")).toBeNull();
    expect(JSON.stringify(keys.list())).not.toContain(
      created.key.slice(17) /* the secret, after pvk_<id>_ */,
    );
    expect(keys.revoke(created.id)).toBe(true);
    expect(keys.revoke(created.id)).toBe(false);
    expect(keys.verify(created.key)).toBeNull();
    expect(keys.auditLog().map((e) => e.action)).toEqual(["key.revoked", "key.created"]);
    expect(() => keys.create(["root"])).toThrow(/invalid scope "root"/);
    keys.close();
  });

  it("sees keys created and revoked by another connection at once, though it keeps rows it has read", () => {
    const path = join(tmp(), "service.db");
    const server = ApiKeyStore.open(path);
    const cli = ApiKeyStore.open(path);
    const first = cli.create(["read"]);
    expect(server.verify(first.key)).toMatchObject({ id: first.id });
    expect(server.verify(first.key)).toMatchObject({ id: first.id }); // from memory this time
    const unknown = `pvk_0123456789ab_${"A".repeat(43)}`;
    expect(server.verify(unknown)).toBeNull();
    const second = cli.create(["write"]);
    expect(server.verify(second.key)).toMatchObject({ id: second.id });
    expect(cli.revoke(first.id)).toBe(true);
    expect(server.verify(first.key)).toBeNull();
    expect(server.verify(second.key)).toMatchObject({ id: second.id });
    cli.close();
    server.close();
  });

  it("scopes nest: admin > write > read", () => {
    expect(scopeAllows(["admin"], "read")).toBe(true);
    expect(scopeAllows(["write"], "read")).toBe(true);
    expect(scopeAllows(["write"], "admin")).toBe(false);
    expect(scopeAllows(["read"], "write")).toBe(false);
  });
});
