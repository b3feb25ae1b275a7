/**
 * The servers' metrics:
 *
 *   walnut_connected_clients{protocol}       gauge    open RESP connections and HTTP sockets
 *   walnut_http_requests_total{route,status} counter  HTTP requests answered, by route pattern and status code
 *
 * Connections are counted as they open and close (events, not mirrored state), so that
 * several servers over one node add up. Routes are patterns ("/key/:key"), never raw
 * paths, so the label set stays bounded whatever clients ask for.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Protocol } from "./command_meter.js";

export class ServerMetrics {
  private readonly clients: Record<Protocol, Gauge.Internal<string>>;
  private readonly requests: Counter<"route" | "status">;

  constructor(registry: Registry) {
    const registers = [registry];
    const clients = new Gauge({
      name: "walnut_connected_clients",
      help: "Open client connections: RESP clients, and HTTP sockets (keep-alive ones included).",
      labelNames: ["protocol"],
      registers,
    });
    this.clients = { resp: clients.labels("resp"), http: clients.labels("http") };
    this.clients.resp.set(0);
    this.clients.http.set(0);
    this.requests = new Counter({
      name: "walnut_http_requests_total",
      help: "HTTP requests answered, by route and status code.",
      labelNames: ["route", "status"],
      registers,
    });
  }

  connectionOpened(protocol: Protocol): void {
    this.clients[protocol].inc();
  }

  connectionClosed(protocol: Protocol): void {
    this.clients[protocol].dec();
  }

  httpRequestAnswered(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }
}
