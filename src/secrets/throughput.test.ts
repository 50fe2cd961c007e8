import { describe, expect, it } from 'vitest';
import { scanText } from './scan.js';

// Throughput on ~20 MB of mixed text (code, YAML, logs, base64, a few secrets). Printed as one
// JSON line for the report; deliberately no timing assertion.
function generate(targetBytes: number): { text: string; planted: number } {
  const lines = [
    'const value = computeSomething(input, { retries: 3, timeout: 5000 });',
    '  image: registry.example.com/team/app:1.2.3',
    '2026-11-27T01:02:03Z INFO request handled path=/api/v1/items status=200 duration=12ms',
    'data: dGhpcyBpcyBqdXN0IHNvbWUgYmFzZTY0IGVuY29kZWQgdGV4dCBmb3IgdGhlIGJlbmNobWFyaw==',
    '# The token endpoint returns an access key; see the docs for password rotation.',
    'DB_PASSWORD=${DB_PASSWORD}',
    '    - name: API_TOKEN\n      valueFrom: { secretKeyRef: { name: api, key: token } }',
    'RUN apt-get update && apt-get install -y curl ca-certificates && rm -rf /var/lib/apt/lists/*',
  ];
  const planted = ['AWS_ACCESS_KEY_ID=AKIA0123456789ABCDEF', 'client_secret: "Qw8Zr3Lp0Xn5Tb7Vy2Mk"'];
  const parts: string[] = [];
  let size = 0;
  let count = 0;
  for (let i = 0; size < targetBytes; i++) {
    const line = i % 997 === 0 ? (planted[count++ % planted.length] ?? '') : (lines[i % lines.length] ?? '');
    parts.push(line);
    size += line.length + 1;
  }
  return { text: parts.join('\n'), planted: count };
}

describe('scanText throughput', () => {
  it('scans ~20 MB of mixed text and reports MB/s', { timeout: 120_000 }, () => {
    const { text, planted } = generate(20 * 1024 * 1024);
    const started = performance.now();
    const findings = scanText(text, { path: 'bench.txt' });
    const seconds = (performance.now() - started) / 1000;
    const mb = text.length / (1024 * 1024);
    console.log(
      JSON.stringify({
        metric: 'secrets.scanText.throughput',
        mb: Number(mb.toFixed(1)),
        seconds: Number(seconds.toFixed(3)),
        mbPerSecond: Number((mb / seconds).toFixed(1)),
        findings: findings.length,
      }),
    );
    expect(findings).toHaveLength(planted);
  });
});
