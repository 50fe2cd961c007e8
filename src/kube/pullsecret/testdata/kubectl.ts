// Test-only: the Secret `kubectl create secret docker-registry` makes, the reference the pull
// secret generator must equal. kubectl is installed on these machines and renders it offline.
import { execFileSync } from 'node:child_process';

export type SecretJson = {
  metadata: Record<string, unknown>;
  data: Record<string, string>;
  [k: string]: unknown;
};

/** kubectl's Secret for these inputs (`--dry-run=client -o json`), without its null creationTimestamp. */
export function kubectlPullSecret(
  name: string,
  registry: string,
  username: string,
  password: string,
  namespace?: string,
): SecretJson {
  const out = execFileSync(
    'kubectl',
    [
      'create',
      'secret',
      'docker-registry',
      name,
      `--docker-server=${registry}`,
      `--docker-username=${username}`,
      // Test fixture passwords only: kubectl has no other way to take them.
      `--docker-password=${password}`,
      ...(namespace === undefined ? [] : ['--namespace', namespace]),
      '--dry-run=client',
      '-o',
      'json',
    ],
    { encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: '/nonexistent', KUBECONFIG: '/dev/null' } },
  );
  const secret = JSON.parse(out) as SecretJson;
  // An unset timestamp, printed as null; it carries nothing.
  delete secret.metadata['creationTimestamp'];
  return secret;
}

/** The decoded `.dockerconfigjson` of a pull secret. */
export function dockerConfigOf(secret: { readonly data: Readonly<Record<string, string>> }): unknown {
  return JSON.parse(Buffer.from(secret.data['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
}
