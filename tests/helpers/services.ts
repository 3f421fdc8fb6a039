/**
 * Tests that need a service this machine lacks (a WebGPU adapter, redis-server) are skipped with
 * the reason in the summary, so a newcomer's `npm test` says what is missing instead of failing.
 * Under CI (CI set, as .ci/run's machine and GitHub set it) or VSML_REQUIRE_SERVICES=1 nothing is
 * skipped: a missing service fails there.
 */
import { spawnSync } from 'node:child_process';

export const SERVICES_REQUIRED = Boolean(process.env.CI) || process.env.VSML_REQUIRE_SERVICES === '1';

/** Why the distributed tests skip here, or null when they run (always null under CI). */
export function redisSkipReason(): string | null {
  if (SERVICES_REQUIRED) return null;
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.error || r.status !== 0
    ? 'redis-server is not installed (Debian: apt-get install redis-server); under CI this fails instead'
    : null;
}
