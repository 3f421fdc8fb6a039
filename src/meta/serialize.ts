/**
 * JSON with typed arrays: Float32Array / Float64Array / Uint32Array become {"$f32": base64} etc.,
 * so strategy states and checkpoints round-trip bit for bit (NaN payloads and -0 included) and
 * stay compact. Runtime-agnostic (btoa/atob exist in Node >= 16, browsers and workers).
 * Byte order is the platform's, i.e. little-endian on every platform WebGPU runs on.
 */

const TAGS = { $f32: Float32Array, $f64: Float64Array, $u32: Uint32Array } as const;
type Tag = keyof typeof TAGS;

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A JSON-ready copy of `value` with typed arrays tagged. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Uint32Array) {
    const tag: Tag = value instanceof Float32Array ? '$f32' : value instanceof Float64Array ? '$f64' : '$u32';
    return { [tag]: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (ArrayBuffer.isView(value)) throw new Error(`cannot serialise ${value.constructor.name}`);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}

/** Inverse of toJsonValue. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] in TAGS) {
      const tag = keys[0] as Tag;
      const bytes = base64ToBytes((value as Record<string, string>)[tag]) as Uint8Array<ArrayBuffer>;
      const Ctor = TAGS[tag];
      return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
    if (keys.length === 1 && keys[0] === '$num') return Number((value as { $num: string }).$num);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromJsonValue(v);
    return out;
  }
  return value;
}

export function stringifyState(value: unknown, space?: number): string {
  return JSON.stringify(toJsonValue(value), null, space);
}

export function parseState<T>(text: string): T {
  return fromJsonValue(JSON.parse(text)) as T;
}
