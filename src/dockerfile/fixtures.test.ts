import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { sharedData } from '../testing/fixtures.js';
import { lintDockerfile } from './lint.js';
import { allRules } from './rules/index.js';
import type { DockerfileRule } from './types.js';

function ruleById(id: string): DockerfileRule {
  const rule = allRules.find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule;
}

function findingsOf(id: string, text: string, file: string): number[] {
  return lintDockerfile(text, file, { rules: [ruleById(id)] }).map((f) => f.line);
}

/** Trivy check example files (aquasecurity/trivy-checks, checks/docker) and the rule that covers each. */
const trivyMapped: Readonly<Record<string, string>> = {
  'latest_tag.yaml': 'PC-DF-001',
  'copy_from_references_current_from_alias.yaml': 'PC-DF-005',
  'root_user.yaml': 'PC-DF-006',
  'run_using_sudo.yaml': 'PC-DF-007',
  'port22.yaml': 'PC-DF-011',
};

/** Trivy checks we do not cover, and why. */
const trivyNotCovered: Readonly<Record<string, string>> = {
  'add_instead_of_copy.yaml': 'style: we only flag ADD of remote URLs (PC-DF-008)',
  'apt_get_missing_yes_flag_to_avoid_manual_input.yaml': 'build hygiene, not security',
  'copy_with_more_than_two_arguments_not_ending_with_slash.yaml': 'a build error docker reports itself',
  'maintainer_is_deprecated.yaml': 'style',
  'missing_dnf_clean_all.yaml': 'image size',
  'missing_zypper_clean.yaml': 'image size',
  'multiple_cmd_instructions_listed.yaml': 'style',
  'multiple_entrypoint_instructions_listed.yaml': 'style',
  'multiple_healthcheck_instructions.yaml': 'style',
  'run_apt_get_dist_upgrade.yaml': 'reproducibility, not security',
  'run_command_cd_instead_of_workdir.yaml': 'style',
  'run_using_wget_and_curl.yaml': 'image size',
  'same_alias_in_different_froms.yaml': 'a build error docker reports itself',
  'unix_ports_out_of_range.yaml': 'a build error docker reports itself',
  'update_instruction_alone.yaml': 'cache hygiene, not security',
  'workdir_path_not_absolute.yaml': 'style',
  'yum_clean_all_missing.yaml': 'image size',
};

type TrivyExamples = { dockerfile: { good: string[]; bad: string[] } };

describe('Trivy check examples (good files pass, bad files fail)', () => {
  for (const dir of [
    sharedData('trivy-checks', 'examples', 'docker'),
    sharedData('lint-audit', 'dockerfile', 'trivy-checks'),
  ]) {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    it(`every check in ${path.basename(path.dirname(dir))}/${path.basename(dir)} is mapped or listed as not covered`, () => {
      expect(files.sort()).toEqual([...Object.keys(trivyMapped), ...Object.keys(trivyNotCovered)].sort());
    });
    const cases = files.flatMap((file) => {
      const id = trivyMapped[file];
      if (id === undefined) return [];
      const ex = parseYaml(readFileSync(path.join(dir, file), 'utf8')) as TrivyExamples;
      return [
        ...ex.dockerfile.good.map((text, i) => [`${file} good #${i}`, id, text, false] as const),
        ...ex.dockerfile.bad.map((text, i) => [`${file} bad #${i}`, id, text, true] as const),
      ];
    });
    it.each(cases)('%s → %s', (name, id, text, bad) => {
      const lines = findingsOf(id, text, name);
      if (bad) expect(lines.length).toBeGreaterThan(0);
      else expect(lines).toEqual([]);
    });
  }

  it('the Trivy sample Dockerfiles get the findings Trivy reports (untagged openjdk, no USER)', () => {
    for (const name of ['test-Dockerfile', 'examples-Dockerfile']) {
      const text = readFileSync(sharedData('lint-audit', 'dockerfile', 'trivy-checks', name), 'utf8');
      const ids = new Set(lintDockerfile(text, name).map((f) => f.ruleId));
      expect(ids.has('PC-DF-006'), name).toBe(true);
    }
  });
});

describe('Trivy integration fixtures (aquasecurity/trivy integration/testdata/fixtures/repo)', () => {
  it.each([
    ['dockerfile', true],
    ['custom-policy', false],
  ] as const)('%s: root user finding (Trivy DS-0002) is %s', (dir, expected) => {
    const text = readFileSync(sharedData('dockerfile-lint', 'trivy-integration', dir, 'Dockerfile'), 'utf8');
    expect(findingsOf('PC-DF-006', text, dir).length > 0).toBe(expected);
  });
});

/** Checkov checks (bridgecrewio/checkov tests/dockerfile/checks) and the rule that covers each. */
const checkovMapped: Readonly<Record<string, string>> = {
  example_ExposePort22: 'PC-DF-011',
  example_ReferenceLatestTag: 'PC-DF-001',
  example_RootUser: 'PC-DF-006',
  example_UserExists: 'PC-DF-006',
};
const checkovNotCovered: Readonly<Record<string, string>> = {
  example_AddExists: 'style (CKV_DOCKER_4); remote ADD is PC-DF-008',
  example_AliasIsUnique: 'a build error docker reports itself (CKV_DOCKER_11)',
  example_HealthcheckExists: 'orchestrators probe health themselves (CKV_DOCKER_2)',
  example_MaintainerExists: 'style (CKV_DOCKER_6)',
  example_RunUsingAPT: 'style (CKV_DOCKER_9)',
  example_UpdateNotAlone: 'cache hygiene (CKV_DOCKER_5)',
  example_WorkdirIsAbsolute: 'style (CKV_DOCKER_10)',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('Checkov check examples (success files pass, failure files fail)', () => {
  const root = sharedData('lint-audit', 'dockerfile', 'checkov');
  it('every check is mapped or listed as not covered', () => {
    expect(readdirSync(root).sort()).toEqual(
      [...Object.keys(checkovMapped), ...Object.keys(checkovNotCovered)].sort(),
    );
  });
  const cases = Object.entries(checkovMapped).flatMap(([check, id]) =>
    filesUnder(path.join(root, check)).map((file) => {
      const rel = path.relative(root, file);
      const kind = rel.split(path.sep)[1] ?? '';
      return [rel, id, file, kind.startsWith('failure')] as const;
    }),
  );
  it.each(cases)('%s → %s', (_rel, id, file, bad) => {
    const lines = findingsOf(id, readFileSync(file, 'utf8'), file);
    if (bad) expect(lines.length).toBeGreaterThan(0);
    else expect(lines).toEqual([]);
  });
});

/** Checkov graph checks (CKV2_DOCKER_*, tests/dockerfile/graph_builder) by check name. */
const graphMapped: Readonly<Record<string, string>> = {
  RunUsingSudo: 'PC-DF-007',
  RunUnsafeCurl: 'PC-DF-010',
  RunUnsafeWget: 'PC-DF-010',
  RunPipTrustedHost: 'PC-DF-010',
  RunApkAllowUntrusted: 'PC-DF-010',
  RunAptGetAllowUnauthenticated: 'PC-DF-010',
  RunAptGetForceYes: 'PC-DF-010',
  RunYumNoGpgCheck: 'PC-DF-010',
  RunRpmNoSignature: 'PC-DF-010',
  RunYumConfigManagerSslVerify: 'PC-DF-010',
  RunNpmConfigSetStrictSsl: 'PC-DF-010',
  EnvGitSslNoVerify: 'PC-DF-010',
  EnvNodeTlsRejectUnauthorized: 'PC-DF-010',
  EnvNpmConfigStrictSsl: 'PC-DF-010',
  EnvPipTrustedHost: 'PC-DF-010',
  EnvPythonHttpsVerify: 'PC-DF-010',
};
const graphNotCovered: Readonly<Record<string, string>> = {
  RunChpasswd: 'a password in the Dockerfile: left to the secrets engine (src/secrets), plugged in later',
};

describe('Checkov graph check examples (each failing instruction is found, passing files are clean)', () => {
  const root = sharedData('lint-audit', 'dockerfile', 'checkov-graph');
  it('every check is mapped or listed as not covered', () => {
    expect(readdirSync(root).sort()).toEqual(
      [...Object.keys(graphMapped), ...Object.keys(graphNotCovered)].sort(),
    );
  });
  const cases = Object.entries(graphMapped).flatMap(([check, id]) =>
    filesUnder(path.join(root, check))
      .filter((f) => path.basename(f).startsWith('Dockerfile'))
      .map((file) => [path.relative(root, file), id, file] as const),
  );
  it.each(cases)('%s → %s', (rel, id, file) => {
    const check = rel.split(path.sep)[0] ?? '';
    const expected = parseYaml(readFileSync(path.join(root, check, 'expected.yaml'), 'utf8')) as {
      fail?: string[];
    };
    const relInCheck = path.relative(path.join(root, check), file);
    // expected.yaml names each failing instruction as `<file>.<INSTRUCTION>`.
    const failing = (expected.fail ?? []).filter((e) => e.slice(0, e.lastIndexOf('.')) === relInCheck).length;
    expect(findingsOf(id, readFileSync(file, 'utf8'), file).length).toBe(failing);
  });
});
