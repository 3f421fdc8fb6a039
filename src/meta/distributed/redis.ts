/**
 * Redis connections for distributed training (ioredis): redis:// or rediss:// (TLS) URLs with an
 * optional user and password (redis://user:password@host:port/db), or the password from
 * $VSML_REDIS_PASSWORD so it stays out of process lists. TLS options come from the environment:
 * $VSML_REDIS_CA (a CA bundle file) and $VSML_REDIS_TLS_INSECURE=1 (skip verification; tests only).
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export function redisOptions(url: string): { url: string; options: RedisOptions } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `--redis: not a URL: ${redactUrl(url)} (expected redis://[user:password@]host:port[/db] or rediss://...)`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`--redis: protocol must be redis: or rediss:, got ${u.protocol}`);
  const options: RedisOptions = {
    // Fail requests instead of queueing them forever while Redis is down; callers retry.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  if (!u.password && process.env.VSML_REDIS_PASSWORD) options.password = process.env.VSML_REDIS_PASSWORD;
  if (u.protocol === 'rediss:') {
    options.tls = {
      ...(process.env.VSML_REDIS_CA ? { ca: readFileSync(process.env.VSML_REDIS_CA) } : {}),
      ...(process.env.VSML_REDIS_TLS_INSECURE === '1' ? { rejectUnauthorized: false } : {}),
    };
  }
  return { url, options };
}

/** A connected client (throws a clear error when the server cannot be reached). */
export async function connectRedis(url: string, name: string): Promise<Redis> {
  const { options } = redisOptions(url);
  const client = new Redis(url, {
    ...options,
    lazyConnect: true,
    connectionName: name.replace(/[^A-Za-z0-9_.-]/g, '_'),
  });
  client.on('error', () => {
    /* reported through failed commands; keeps ioredis from printing unhandled errors */
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  return client;
}

/** A lost or refused connection (retried by the callers), as opposed to a bug or a GPU error. */
export function isRedisConnectionError(e: unknown): boolean {
  const err = e as { name?: string; message?: string; code?: string };
  return (
    err?.name === 'MaxRetriesPerRequestError' ||
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH)$/.test(err?.code ?? '') ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable/.test(err?.message ?? '')
  );
}
