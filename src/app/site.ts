/**
 * Where the site (demos/) is served, for absolute share links printed by the CLIs. A fragment
 * alone ("replay.html#s=...") cannot be pasted anywhere; a link names the site that will replay it.
 */

/** `npm run dev` (Vite's default port). */
export const DEV_SITE = 'http://localhost:5173/';
/** `npm run build && npm run preview` (Vite's default preview port). */
export const PREVIEW_SITE = 'http://localhost:4173/';

/** The site's root URL (http or https, ending in '/'); throws with the flag name otherwise. */
export function parseSite(value: string, flag = '--site'): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${flag}: not a URL: '${value}' (e.g. ${DEV_SITE} or https://example.org/vsml/)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`${flag}: must be an http(s) URL, got '${value}'`);
  u.hash = '';
  u.search = '';
  // A site root is a folder: ".../vsml" means ".../vsml/".
  if (!u.pathname.endsWith('/')) u.pathname = u.pathname.replace(/\/(index\.html)?$/, '') + '/';
  return u.href;
}

/** The replay page of `site` holding `fragment` ("s=..."). */
export function replayLink(site: string, fragment: string): string {
  return `${new URL('replay.html', parseSite(site)).href}#${fragment}`;
}

/** How to serve `site` locally, or null for another host (the user hosts it). */
export function serveCommand(site: string): string | null {
  const s = parseSite(site);
  if (s === DEV_SITE) return 'npm run dev';
  if (s === PREVIEW_SITE) return 'npm run build && npm run preview';
  return null;
}
