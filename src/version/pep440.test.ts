import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { pep440Oracle, readVersionVectors, Rng } from '../testing/version-oracles.js';
import { parsePep440, pep440 } from './pep440.js';
import { VersionError } from './scheme.js';

describe('PEP 440 versions: normalization', () => {
  it.each([
    {
      why: 'release segments are zero-padded',
      same: ['1', '1.0', '1.0.0', '1.00.000', '01.0'],
    },
    {
      why: 'a leading v, case and surrounding whitespace do not matter',
      same: ['1.0rc1', 'v1.0rc1', 'V1.0RC1', ' 1.0rc1\n'],
    },
    { why: 'alpha is a', same: ['1.0a1', '1.0alpha1', '1.0.a1', '1.0-a-1', '1.0_ALPHA.1', '1.0a01'] },
    { why: 'beta is b', same: ['1.0b2', '1.0beta2', '1.0-beta_2'] },
    {
      why: 'c, pre and preview are rc',
      same: ['1.0rc3', '1.0c3', '1.0pre3', '1.0preview3', '1.0.preview.3'],
    },
    { why: 'a pre-release without a number is number 0', same: ['1.0a', '1.0a0', '1.0-alpha'] },
    {
      why: 'post, rev, r and a bare hyphen-number are post-releases',
      same: ['1.0.post1', '1.0post1', '1.0-1', '1.0-r1', '1.0rev1', '1.0_post_1', '1.0.POST.01'],
    },
    {
      why: 'a post-release without a number is number 0',
      same: ['1.0.post', '1.0.post0', '1.0-rev', '1.0r'],
    },
    { why: 'dev spellings', same: ['1.0.dev0', '1.0dev', '1.0-dev', '1.0_DEV_0'] },
    { why: 'local separators and case', same: ['1.0+abc.1', '1.0+ABC-1', '1.0+abc_01'] },
    { why: 'the epoch 0 is implicit', same: ['0!1.0', '1.0', '00!1.0'] },
    {
      why: 'a separator after a label may precede the next part’s own separator',
      same: ['1.0a._dev', '1.0a0.dev0'],
    },
  ])('$why', ({ same }) => {
    for (const a of same) {
      for (const b of same) expect(pep440.compare(a, b), `${a} = ${b}`).toBe(0);
    }
  });

  it('parses into normalized parts', () => {
    expect(parsePep440('V2!01.002.0a-03.post04.DEV05+Ubuntu-007.x')).toEqual({
      epoch: '2',
      release: ['1', '2', '0'],
      pre: { label: 'a', number: '3' },
      post: '4',
      dev: '5',
      local: ['ubuntu', '7', 'x'],
    });
  });
});

describe('PEP 440 versions: ordering', () => {
  it.each([
    {
      why: 'dev, pre, final, post, in that order, for one release',
      sorted: [
        '2.0.dev1',
        '2.0.dev2',
        '2.0a1.dev1',
        '2.0a1',
        '2.0a1.post1.dev1',
        '2.0a1.post1',
        '2.0a2',
        '2.0b1',
        '2.0rc1.dev9',
        '2.0rc1',
        '2.0',
        '2.0+local',
        '2.0.post1.dev1',
        '2.0.post1',
        '2.0.post2',
        '2.0.1.dev0',
        '2.0.1',
      ],
    },
    {
      why: 'release numbers compare by value',
      sorted: ['1.9', '1.10', '1.10.1', '1.11', `1.${'9'.repeat(30)}`],
    },
    { why: 'the epoch outranks the release', sorted: ['2024.1', '1!0.1', '1!0.2', '2!0'] },
    {
      why: 'local versions: numbers above words, numbers by value, longer after its prefix',
      sorted: ['1.0', '1.0+a', '1.0+a.1', '1.0+abc', '1.0+b', '1.0+1', '1.0+2', '1.0+10', '1.0+10.a'],
    },
  ])('$why', ({ sorted }) => {
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i] ?? '';
      const b = sorted[i + 1] ?? '';
      expect(pep440.compare(a, b), `${a} < ${b}`).toBe(-1);
      expect(pep440.compare(b, a), `${b} > ${a}`).toBe(1);
    }
  });
});

describe('PEP 440 versions: validation', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'only whitespace'],
    ['a1', 'no release number'],
    ['1.0.', 'a trailing dot'],
    ['1..0', 'an empty release segment'],
    ['1.0-', 'a trailing hyphen'],
    ['1.0+', 'an empty local label'],
    ['1.0+a..b', 'an empty local segment'],
    ['1.0+a b', 'a space in the local label'],
    ['1.0.dev1.post1', 'dev before post'],
    ['1.0a1b1', 'two pre-releases'],
    ['1.0_1', 'an underscore-number (only a hyphen makes an implicit post-release)'],
    ['1!', 'an epoch without a release'],
    ['!1.0', 'an empty epoch'],
    ['vv1.0', 'two v prefixes'],
    ['1.0 1', 'inner whitespace'],
    ['1.٣', 'a non-ASCII digit'],
    ['1.0\u0000', 'NUL'],
    ['1.0-bulbasaur', 'a legacy (non-PEP 440) version'],
    [`1.${'0'.repeat(300)}`, 'more than 256 characters'],
  ])('refuses %j (%s)', (v) => {
    expect(pep440.isValid(v)).toBe(false);
    expect(() => pep440.compare(v, '1.0')).toThrow(VersionError);
    expect(() => pep440.compare('1.0', v)).toThrow(/invalid pep440 version/);
  });
});

describe('PEP 440 versions: osv-scalibr vectors', () => {
  it.each(['pypi-versions.txt', 'pypi-versions-generated.txt'])(
    'agree with every line of %s, and refuse exactly what packaging refuses',
    (file) => {
      const cases = readVersionVectors(sharedData('version-compare', 'osv-scalibr', file));
      const oracle = pep440Oracle(cases.map((c) => [c.a, c.b] as const));
      const wrong: string[] = [];
      let compared = 0;
      cases.forEach((c, i) => {
        const o = oracle[i];
        if (o === undefined) throw new Error('missing oracle answer');
        if (pep440.isValid(c.a) !== o.validA) wrong.push(`line ${c.line}: validity of ${c.a}`);
        if (pep440.isValid(c.b) !== o.validB) wrong.push(`line ${c.line}: validity of ${c.b}`);
        if (o.validA && o.validB) {
          compared++;
          if (pep440.compare(c.a, c.b) !== c.expected) wrong.push(`line ${c.line}: ${c.a} vs ${c.b}`);
        }
      });
      expect(wrong).toEqual([]);
      // The hand-written file holds legacy (pre-PEP 440) versions that packaging and we refuse.
      expect(compared).toBeGreaterThan(cases.length * 0.6);
    },
  );
});

// Versions are generated as parts, then written out with random spellings, so pairs include the
// same version written differently; small edits and corruptions make near-equal and invalid ones.
type Parts = {
  epoch: number | undefined;
  release: number[];
  pre: [string, number | undefined] | undefined;
  post: number | undefined;
  dev: number | undefined;
  local: string[] | undefined;
};

function genParts(rng: Rng): Parts {
  return {
    epoch: rng.chance(0.15) ? rng.int(3) : undefined,
    release: Array.from({ length: 1 + rng.int(4) }, () => rng.pick([0, 0, 1, 2, 9, 10, 11, 2024])),
    pre: rng.chance(0.35)
      ? [rng.pick(['a', 'b', 'rc']), rng.chance(0.8) ? rng.int(12) : undefined]
      : undefined,
    post: rng.chance(0.25) ? rng.int(4) : undefined,
    dev: rng.chance(0.25) ? rng.int(4) : undefined,
    local: rng.chance(0.2)
      ? Array.from({ length: 1 + rng.int(3) }, () =>
          rng.pick(['abc', 'ubuntu', 'z', 'a1', '1', '01', '0', '10', '2']),
        )
      : undefined,
  };
}

function tweak(rng: Rng, p: Parts): Parts {
  const q: Parts = { ...p, release: [...p.release] };
  switch (rng.int(6)) {
    case 0:
      q.release.push(rng.pick([0, 0, 1]));
      break;
    case 1:
      q.pre = p.pre === undefined ? ['rc', 1] : undefined;
      break;
    case 2:
      q.post = p.post === undefined ? 0 : p.post + 1;
      break;
    case 3:
      q.dev = p.dev === undefined ? 0 : undefined;
      break;
    case 4:
      q.local = p.local === undefined ? ['1'] : [...p.local, 'a'];
      break;
    default:
      q.epoch = (p.epoch ?? 0) + 1;
  }
  return q;
}

function num(rng: Rng, n: number): string {
  return rng.chance(0.15) ? `0${n}` : String(n);
}

function sep(rng: Rng): string {
  return rng.pick(['', '', '.', '-', '_']);
}

function cased(rng: Rng, s: string): string {
  return rng.chance(0.15) ? s.toUpperCase() : s;
}

function render(rng: Rng, p: Parts): string {
  let s = rng.chance(0.1) ? rng.pick(['v', 'V']) : '';
  if (p.epoch !== undefined || rng.chance(0.05)) s += `${num(rng, p.epoch ?? 0)}!`;
  s += p.release.map((n) => num(rng, n)).join('.');
  if (rng.chance(0.1)) s += '.0';
  if (p.pre !== undefined) {
    const spellings: Record<string, string[]> = {
      a: ['a', 'alpha'],
      b: ['b', 'beta'],
      rc: ['rc', 'c', 'pre', 'preview'],
    };
    s += sep(rng) + cased(rng, rng.pick(spellings[p.pre[0]] ?? ['a']));
    if (p.pre[1] !== undefined || rng.chance(0.2)) s += sep(rng) + num(rng, p.pre[1] ?? 0);
  }
  if (p.post !== undefined) {
    if (rng.chance(0.25)) s += `-${num(rng, p.post)}`;
    else {
      s += sep(rng) + cased(rng, rng.pick(['post', 'rev', 'r']));
      if (p.post !== 0 || rng.chance(0.5)) s += sep(rng) + num(rng, p.post);
    }
  }
  if (p.dev !== undefined) {
    s += sep(rng) + cased(rng, 'dev');
    if (p.dev !== 0 || rng.chance(0.5)) s += sep(rng) + num(rng, p.dev);
  }
  if (p.local !== undefined) {
    s += `+${p.local.map((x) => cased(rng, x)).join(rng.pick(['.', '-', '_']))}`;
  }
  if (rng.chance(0.03)) s = ` ${s}\t`;
  return s;
}

function corrupt(rng: Rng, v: string): string {
  const i = rng.int(v.length + 1);
  switch (rng.int(5)) {
    case 0:
      return v.slice(0, i) + rng.pick(['.', '-', '_', '+', '!', 'x', ' ', '..', 'a']) + v.slice(i);
    case 1:
      return v.slice(0, i) + v.slice(i + 1);
    case 2:
      return `${v}${rng.pick(['.', '-', '+', '.dev1.post1', 'a1', '_1', '!'])}`;
    case 3:
      return rng.pick(['', ' ', 'v', 'x1.0', '1.0-bulbasaur']);
    default:
      return v.replace(/\d/, '');
  }
}

describe('PEP 440 versions: agreement with packaging', () => {
  it('orders and validates 12,000 generated pairs as Debian’s python3-packaging does', () => {
    const rng = new Rng(0x9e94_4001);
    const input: [string, string][] = [];
    for (let i = 0; i < 12_000; i++) {
      const p = genParts(rng);
      const r = rng.next();
      const q = r < 0.35 ? p : r < 0.7 ? tweak(rng, p) : genParts(rng);
      let a = render(rng, p);
      let b = render(rng, q);
      if (rng.chance(0.04)) a = corrupt(rng, a);
      if (rng.chance(0.04)) b = corrupt(rng, b);
      input.push([a, b]);
    }
    const oracle = pep440Oracle(input);
    const disagreements: string[] = [];
    let compared = 0;
    let equal = 0;
    input.forEach(([a, b], i) => {
      const o = oracle[i];
      if (o === undefined) throw new Error('missing oracle answer');
      if (pep440.isValid(a) !== o.validA)
        disagreements.push(`validity of ${JSON.stringify(a)}: packaging ${o.validA}`);
      if (pep440.isValid(b) !== o.validB)
        disagreements.push(`validity of ${JSON.stringify(b)}: packaging ${o.validB}`);
      if (o.validA && o.validB && pep440.isValid(a) && pep440.isValid(b)) {
        compared++;
        const ours = pep440.compare(a, b);
        if (ours === 0) equal++;
        if (ours !== o.cmp) disagreements.push(`${a} vs ${b}: packaging ${o.cmp}, ours ${ours}`);
      }
    });
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(10_000);
    // Many pairs are the same version written differently.
    expect(equal).toBeGreaterThan(2_000);
  });
});

describe('PEP 440 versions: every short string over the grammar’s pieces', () => {
  it('validates and orders (against 1.0 and 1.0a1.post1) every string of up to four pieces after "1" as packaging does', () => {
    const pieces = [
      '1',
      '0',
      '.',
      '-',
      '_',
      '+',
      '!',
      ' ',
      'v',
      'x',
      'a',
      'c',
      'rc',
      'pre',
      'preview',
      'alpha',
      'post',
      'r',
      'rev',
      'dev',
    ];
    const strings: string[] = [];
    const extend = (s: string, depth: number): void => {
      strings.push(s);
      if (depth > 0) for (const p of pieces) extend(s + p, depth - 1);
    };
    extend('1', 3);
    const pivots = ['1.0', '1.0a1.post1'];
    const input = strings.flatMap((s) => pivots.map((p) => [s, p] as const));
    const oracle = pep440Oracle(input);
    const disagreements: string[] = [];
    input.forEach(([s, p], i) => {
      const o = oracle[i];
      if (o === undefined) throw new Error('missing oracle answer');
      if (pep440.isValid(s) !== o.validA) disagreements.push(`validity of ${JSON.stringify(s)}`);
      else if (o.validA && pep440.compare(s, p) !== o.cmp) disagreements.push(`${s} vs ${p}`);
    });
    expect(disagreements).toEqual([]);
    expect(strings.length).toBeGreaterThan(8_000);
  });
});
