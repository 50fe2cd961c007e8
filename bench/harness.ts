import { spawn } from 'node:child_process';
import type { Image } from '../src/oci/index.js';

/**
 * One run of something measured: wall time, peak RSS where the subject reports it, and what
 * else the subject reported about its work (counts, per-kind rates).
 */
export type Sample = {
  readonly ms: number;
  readonly maxRssMB: number | undefined;
  readonly detail?: Readonly<Record<string, unknown>>;
};

/** Runs a shell pipeline and times it from outside (its start-up cost is negligible). */
export async function timeShell(script: string): Promise<Sample> {
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`baseline "${script}" exited with ${code}`));
    });
  });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, maxRssMB: undefined };
}

/**
 * Runs a subject script in a fresh Node process, which times its own work and prints
 * `{"ms":…, "maxRssMB":…}` as its last line. A fresh process per run keeps peak RSS honest.
 */
export async function runSubject(script: string, args: readonly string[]): Promise<Sample> {
  const last = await subjectOutput(script, args);
  const parsed = JSON.parse(last) as { ms: number; maxRssMB: number; detail?: Record<string, unknown> };
  return {
    ms: parsed.ms,
    maxRssMB: parsed.maxRssMB,
    ...(parsed.detail === undefined ? {} : { detail: parsed.detail }),
  };
}

/**
 * Spawns `command args…` and times it from the spawn to the first byte it writes to stdout
 * (what a user waiting on a command sees), then waits for it to exit. Fails if it exits
 * non-zero or prints nothing.
 */
export async function timeFirstOutput(command: string, args: readonly string[]): Promise<Sample> {
  const start = process.hrtime.bigint();
  let first: bigint | undefined;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', () => {
      first ??= process.hrtime.bigint();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      else resolve();
    });
  });
  if (first === undefined) throw new Error(`${command} ${args.join(' ')} printed nothing`);
  return { ms: Number(first - start) / 1e6, maxRssMB: undefined };
}

/** Runs a Node script and returns the last line it printed. */
export async function subjectOutput(script: string, args: readonly string[]): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (text += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(text);
      else reject(new Error(`subject ${script} exited with ${code}`));
    });
  });
  return out.trim().split('\n').at(-1) ?? '';
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Called at the end of a subject script, with what else it wants the report to show. */
export function reportSubject(ms: number, detail?: Record<string, unknown>): void {
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMB, ...(detail === undefined ? {} : { detail }) })}\n`);
}

/** Wraps an image so that every layer open is counted (warm runs must not open any). */
export function countLayerOpens(image: Image): { image: Image; opens: () => number } {
  let opens = 0;
  if (image.kind !== 'layered') return { image, opens: () => opens };
  return {
    opens: () => opens,
    image: {
      ...image,
      layers: image.layers.map((l) => ({
        ...l,
        open: () => {
          opens++;
          return l.open();
        },
      })),
    },
  };
}
