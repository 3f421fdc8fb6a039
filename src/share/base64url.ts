/**
 * Base64url without padding (RFC 4648 section 5): the URL-fragment-safe alphabet. Decoding is
 * strict: any character outside the alphabet, or a length that no encoding produces, is refused
 * (a lenient decoder would silently drop characters and hand on a different payload).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63];
  }
  return out;
}

export class Base64Error extends Error {
  override name = 'Base64Error';
  /** 'char': a character outside the alphabet; 'length': the text ends mid-group (cut short?). */
  constructor(
    readonly kind: 'char' | 'length',
    message: string,
  ) {
    super(message);
  }
}

export function decodeBase64url(text: string): Uint8Array {
  // Characters are checked before the length: a foreign character says more than a bad length.
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? LOOKUP[code] : -1;
    if (v < 0) throw new Base64Error('char', `character ${JSON.stringify(text[i])} at position ${i} is not base64url`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (text.length % 4 === 1) throw new Base64Error('length', `length ${text.length} is not a valid base64url length`);
  // Leftover bits must be zero, or two different texts would decode to the same bytes.
  if (acc !== 0) throw new Base64Error('length', 'non-zero padding bits at the end');
  return out.subarray(0, o);
}
