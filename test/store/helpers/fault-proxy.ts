/**
 * A loopback TCP proxy that injects faults between a client and an HTTP upstream:
 * `pass` relays, `reset` resets the connection on accept, `blackhole` accepts and never
 * answers, `cut` relays the request but resets the client as soon as the response starts
 * (the server did the work, the client never hears back), `delay` relays responses late,
 * `chaos` picks one of those per connection from a seeded generator.
 */
import net from "node:net";

export type FaultMode = "pass" | "reset" | "blackhole" | "cut" | "delay" | "chaos";

export class FaultProxy {
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private mode: FaultMode = "pass";
  private failNextCount = 0;
  private failNextMode: FaultMode = "reset";
  private seed = 7;
  /** Connections accepted, by the mode applied. */
  readonly stats = { connections: 0, pass: 0, reset: 0, blackhole: 0, cut: 0, delay: 0, requests: 0 };
  delayMs = 200;
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Switch mode; live connections are cut so pooled keep-alive sockets cannot bypass it. */
  setMode(mode: FaultMode): void {
    this.mode = mode;
    this.dropAll();
  }

  /** The next `n` connections get `mode`, then the current mode again. */
  failNext(n: number, mode: FaultMode = "reset"): void {
    this.failNextCount = n;
    this.failNextMode = mode;
    this.dropAll();
  }

  private dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private rand(): number {
    this.seed = (this.seed * 48271) % 2147483647;
    return this.seed / 2147483647;
  }

  private accept(client: net.Socket): void {
    this.stats.connections++;
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => undefined);
    let mode = this.mode;
    if (this.failNextCount > 0) {
      this.failNextCount--;
      mode = this.failNextMode;
    }
    if (mode === "chaos") {
      const r = this.rand();
      mode = r < 0.45 ? "pass" : r < 0.6 ? "reset" : r < 0.8 ? "cut" : "delay";
    }
    this.stats[mode as Exclude<FaultMode, "chaos">]++;
    client.on("data", (chunk: Buffer) => {
      this.stats.requests += chunk.toString("latin1").match(/ HTTP\/1\.1\r\n/g)?.length ?? 0;
    });
    if (mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "blackhole") {
      client.resume();
      return;
    }
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    this.sockets.add(upstream);
    upstream.on("close", () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      if (mode === "cut") {
        client.resetAndDestroy();
        upstream.destroy();
      } else if (mode === "delay") {
        setTimeout(() => {
          if (!client.destroyed) client.write(chunk);
        }, this.delayMs);
      } else {
        client.write(chunk);
      }
    });
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
