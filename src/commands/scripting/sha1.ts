/** SHA-1 in lower-case hex, as scripts are named (EVALSHA, redis.sha1hex). */
import { createHash } from "node:crypto";
import type { ByteString } from "../../engine/bytes.js";

export function sha1hex(body: ByteString): string {
  return createHash("sha1").update(Buffer.from(body, "latin1")).digest("hex");
}
