/**
 * JSON from an untrusted source: size, depth, key-count and string-length limits, finite numbers
 * only, and no keys that could reach an object's prototype (__proto__, constructor, prototype)
 * when the result is later spread or merged into other objects.
 */

export interface SafeJsonLimits {
  maxDepth: number;
  maxKeys: number;
  maxString: number;
  maxArray: number;
}

export const DEFAULT_JSON_LIMITS: SafeJsonLimits = { maxDepth: 8, maxKeys: 512, maxString: 1024, maxArray: 256 };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class SafeJsonError extends Error {
  override name = 'SafeJsonError';
}

/** Parse and check; returns plain data (objects with a null prototype are never produced). */
export function parseSafeJson(text: string, limits: SafeJsonLimits = DEFAULT_JSON_LIMITS): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SafeJsonError(`not valid JSON (${(e as Error).message})`);
  }
  let keys = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth > limits.maxDepth) throw new SafeJsonError(`${path}: nested deeper than ${limits.maxDepth}`);
    if (typeof v === 'number') {
      // JSON.parse turns 1e999 into Infinity.
      if (!Number.isFinite(v)) throw new SafeJsonError(`${path}: number ${v} is not finite`);
    } else if (typeof v === 'string') {
      if (v.length > limits.maxString) throw new SafeJsonError(`${path}: string longer than ${limits.maxString}`);
    } else if (Array.isArray(v)) {
      if (v.length > limits.maxArray) throw new SafeJsonError(`${path}: array longer than ${limits.maxArray}`);
      v.forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) throw new SafeJsonError(`${path}: forbidden key ${JSON.stringify(k)}`);
        if (++keys > limits.maxKeys) throw new SafeJsonError(`more than ${limits.maxKeys} keys`);
        walk((v as Record<string, unknown>)[k], depth + 1, `${path}.${k}`);
      }
    }
  };
  walk(value, 0, '$');
  return value;
}
