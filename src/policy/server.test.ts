import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { parsePolicy } from './load.js';
import { durationSeconds } from './server.js';

const HEAD = 'apiVersion: portcullis.dev/v1alpha1\nkind: Policy\n';
const RULES = `rules:
  - name: no-critical
    kind: vulnerabilities
    failOn: critical
  - name: signed
    kind: requireSignature
    keys:
      - pem: "-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----"
  - name: no-latest
    kind: disallowTags
`;

function refusal(yaml: string): string {
  try {
    parsePolicy(yaml, 'p.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as Error).message;
  }
  throw new Error('the policy was accepted');
}

describe('the server section', () => {
  it('reads projects with their gates and fills the defaults', () => {
    const p = parsePolicy(
      `${HEAD}${RULES}server:
  listen: 127.0.0.1:5001
  trustedRoot: sigstore/trusted_root.json
  scan: {}
  gc: {}
  projects:
    - name: team-*
      pull: { rules: [no-critical, signed] }
      immutableTags: [v*]
      vex: [vex/team.json]
`,
      'p.yaml',
    );
    expect(p.server?.trustedRoot).toBe('sigstore/trusted_root.json');
    expect(p.server?.scan).toEqual({ onPush: true, concurrency: 2 });
    expect(p.server?.gc).toEqual({ gracePeriod: '2h' });
    expect(p.server?.projects?.[0]).toEqual({
      name: 'team-*',
      pull: { rules: ['no-critical', 'signed'], whileScanning: 'deny' },
      immutableTags: ['v*'],
      vex: ['vex/team.json'],
    });
  });

  it('refuses a gate naming a missing rule or a rule of another kind', () => {
    expect(
      refusal(`${HEAD}${RULES}server:\n  projects:\n    - name: a\n      pull: { rules: [nope] }\n`),
    ).toMatch(/no rule is named "nope"/);
    expect(
      refusal(`${HEAD}${RULES}server:\n  projects:\n    - name: a\n      pull: { rules: [no-latest] }\n`),
    ).toMatch(/disallowTags rule; pull gates take vulnerabilities and requireSignature/);
  });

  it('refuses unknown keys, bad durations and upper-case project globs', () => {
    expect(refusal(`${HEAD}server:\n  lisen: x\n`)).toMatch(/lisen/);
    expect(refusal(`${HEAD}server:\n  gc: { gracePeriod: 2 hours }\n`)).toMatch(/duration/);
    expect(refusal(`${HEAD}server:\n  trustedRoot: ''\n`)).toMatch(/server\.trustedRoot/);
    expect(refusal(`${HEAD}server:\n  projects: [{ name: Team }]\n`)).toMatch(/project name or glob/);
  });

  it('converts durations to seconds', () => {
    expect(durationSeconds('90s')).toBe(90);
    expect(durationSeconds('2h')).toBe(7200);
    expect(durationSeconds('7d')).toBe(604800);
    expect(durationSeconds('2 h')).toBeUndefined();
  });
});
