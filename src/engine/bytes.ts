/**
 * Byte strings. walnut keeps keys and string values as JavaScript strings in which
 * every character is one byte (code 0-255, Node's "latin1" encoding). V8 stores such
 * strings one byte per character, so they cost less memory than Buffers (no per-object
 * backing store), compare bytewise with `<`, hash natively in a Map, and convert to and
 * from network buffers with `latin1Slice`/`latin1Write` without decoding.
 *
 * A byte string is binary-safe: it is not text. Use `fromText`/`toText` at the edges
 * where a user hands walnut a JavaScript string or a Buffer.
 */
export type ByteString = string;

const asciiOnly = /^[\x00-\x7f]*$/;

/** Encodes a user's text (UTF-8) as a byte string. ASCII text is returned unchanged. */
export function fromText(text: string): ByteString {
  return asciiOnly.test(text) ? text : Buffer.from(text, "utf8").toString("latin1");
}

/** Decodes a byte string as UTF-8 text. */
export function toText(bytes: ByteString): string {
  return asciiOnly.test(bytes) ? bytes : Buffer.from(bytes, "latin1").toString("utf8");
}

/** A byte string from a Buffer, or from text. */
export function fromInput(input: string | Uint8Array): ByteString {
  if (typeof input === "string") return fromText(input);
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
}

/** The Buffer holding a byte string's bytes. */
export function toBuffer(bytes: ByteString): Buffer {
  return Buffer.from(bytes, "latin1");
}
