/** A throwaway redis-server on loopback for tests (the Debian package; .ci/run installs it). */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (redis refuses --port 0: bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  password: string;
  /** redis://:password@127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const password = `test-${Math.random().toString(36).slice(2)}`;
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      password,
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    proc.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'ENOENT'
            ? 'redis-server is not installed: the distributed tests need it (Debian: apt-get install redis-server; .ci/run installs it)'
            : `redis-server failed to start: ${e.message}`,
        ),
      ),
    );
    proc.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/Ready to accept connections/i.test(output)) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    // --loglevel warning hides the ready line on some builds: fall back to probing the port.
    const probe = setInterval(async () => {
      const { Socket } = await import('node:net');
      const s = new Socket();
      s.once('connect', () => {
        clearInterval(probe);
        s.destroy();
        resolve();
      });
      s.once('error', () => s.destroy());
      s.connect(port, '127.0.0.1');
    }, 100);
    proc.once('exit', () => clearInterval(probe));
    setTimeout(() => clearInterval(probe), 20_000);
  });
  proc.removeAllListeners('exit');
  return {
    port,
    password,
    url: `redis://:${password}@127.0.0.1:${port}`,
    stop: () => stopProcess(proc),
  };
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}

/**
 * `npm run train`'s command (its tsx flags and script, as package.json has them) as one Node
 * process: `node --import tsx ...`. The tsx binary would fork a child, and a SIGKILL sent to the
 * parent would leave the real worker running.
 */
export function trainCommand(root: string): [string, string[]] {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.train;
  const [bin, ...args] = script.trim().split(/\s+/);
  if (bin !== 'tsx') throw new Error(`package.json scripts.train does not start with tsx: ${script}`);
  return [process.execPath, ['--import', 'tsx', ...args]];
}

export interface Spawned {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawn `npm run train -- ...args` directly (no npm in between, so signals reach the process). */
export function spawnTrain(root: string, args: string[], env: Record<string, string> = {}): Spawned {
  const [bin, pre] = trainCommand(root);
  const proc = spawn(bin, [...pre, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}
