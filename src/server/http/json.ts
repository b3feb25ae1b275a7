/**
 * JSON at the HTTP edge: request bodies read with a size limit, walnut values mapped to
 * and from JSON (numbers, booleans, strings, arrays, objects for hashes; binary as base64), error bodies in
 * the seeds' shape {"detail": "..."}.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Value } from "../../commands/user_values.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

/**
 * The request's body, at most `limitBytes`. A larger body is a 413 that closes the
 * connection once sent; the rest of the body is read and dropped meanwhile, because
 * destroying the request (or closing with the body unread) resets the connection and
 * the client never sees the 413.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = (message: string): HttpError => new HttpError(413, message, { connection: "close" });
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limitBytes) {
    request.resume();
    return Promise.reject(tooLarge(`Request body of ${declared} bytes exceeds ${limitBytes} bytes (the server's --max-request-bytes)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    request.on("data", (chunk: Buffer) => {
      if (received > limitBytes) return;
      received += chunk.length;
      if (received > limitBytes) {
        chunks.length = 0;
        reject(tooLarge(`Request body exceeds ${limitBytes} bytes (the server's --max-request-bytes)`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

export async function readJsonObject(request: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const body = await readBody(request, limitBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new HttpError(400, `Invalid JSON body: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "The body must be a JSON object such as {\"value\": ...}");
  }
  return parsed as Record<string, unknown>;
}

/** A JSON value as walnut stores it: number → integer or float, array → list, array of [member, score] pairs → sorted set, object → hash (values as text). */
export function valueFromJson(value: unknown): Value {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new HttpError(400, "value must be a finite number");
    return value;
  }
  if (Array.isArray(value) && value.length > 0 && value.every((element) => Array.isArray(element))) {
    return value.map((element: unknown[]) => sortedSetElementFromJson(element));
  }
  if (Array.isArray(value)) {
    return value.map((element) => {
      if (typeof element === "string" || typeof element === "number") return element;
      if (typeof element === "boolean") return String(element);
      throw new HttpError(400, "list elements must be strings, numbers or booleans");
    });
  }
  if (typeof value === "object" && value !== null) {
    const fields: Record<string, string> = {};
    for (const [field, fieldValue] of Object.entries(value)) {
      if (typeof fieldValue === "string") fields[field] = fieldValue;
      else if (typeof fieldValue === "number" && Number.isFinite(fieldValue)) fields[field] = String(fieldValue);
      else throw new HttpError(400, `hash field ${JSON.stringify(field)}: values must be strings or finite numbers`);
    }
    return fields;
  }
  throw new HttpError(400, "value must be a string, number, boolean, array or object");
}

/** A sorted set's [member, score] pair from JSON; a score is a number or "inf" / "-inf". */
function sortedSetElementFromJson(element: unknown[]): [string, number] {
  const [member, score] = element;
  const parsed = score === "inf" ? Infinity : score === "-inf" ? -Infinity : score;
  if (element.length !== 2 || typeof member !== "string" || typeof parsed !== "number" || Number.isNaN(parsed)) {
    throw new HttpError(400, "sorted set elements must be [member, score] pairs: a string and a number (or \"inf\", \"-inf\")");
  }
  return [member, parsed];
}

/** A sorted set's score as JSON: a number, or "inf" / "-inf", which JSON has no number for. */
function scoreToJson(score: number): number | string {
  return Number.isFinite(score) ? score : score > 0 ? "inf" : "-inf";
}

/**
 * A list element as JSON. walnut lists hold byte strings (RESP's LRANGE must answer them
 * as they are), so a PUT stores a number element as its JSON text ("1", "2.5"); reading
 * back, an element that is exactly the text JSON gives a number comes back as that number.
 * So [1, 2] round-trips as [1, 2] and ["a", "b"] as ["a", "b"]; the cost, documented in
 * docs/http-api.md, is that a string element spelling a number ("1") comes back as 1.
 * "007", "1.0", "1e3" or digits beyond 2^53 are not what JSON writes for a number, and
 * stay strings, so no number read back differs from one that was stored.
 */
export function listElementToJson(element: string): string | number {
  if (element === "" || element.length > 32) return element;
  const number = Number(element);
  return Number.isFinite(number) && JSON.stringify(number) === element ? number : element;
}

/** A walnut value as JSON; binary values become base64 with an `encoding` marker. */
export function valueToJson(value: Value): { value: unknown; encoding?: "base64" } {
  if (Buffer.isBuffer(value)) return { value: value.toString("base64"), encoding: "base64" };
  if (Array.isArray(value)) {
    return {
      value: value.map((element) => {
        if (typeof element === "string") return listElementToJson(element);
        if (Array.isArray(element)) return [element[0], scoreToJson(element[1])];
        return element;
      }),
    };
  }
  if (typeof value === "bigint") {
    return { value: value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString() };
  }
  return { value };
}
