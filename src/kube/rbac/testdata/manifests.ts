// Builders for small RBAC bundles in the tests (YAML text, so the rule tests go through the real
// loader and its line numbers). Each subject and rule starts on its own line with a unique text.

/** A ClusterRole; `extra` goes under metadata's siblings (labels, aggregationRule). */
export const clusterRole = (name: string, rules: string, extra = '') => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${name}
${extra}rules:
${rules}`;

export const role = (ns: string, name: string, rules: string) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${name}
  namespace: ${ns}
rules:
${rules}`;

/** A binding; `ref` is `Role/name` or `ClusterRole/name`. */
export const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  ns: string | undefined,
  ref: string,
  subjects: string,
) => `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ${kind}
metadata:
  name: ${name}
${ns === undefined ? '' : `  namespace: ${ns}\n`}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ${ref.split('/')[0] ?? ''}
  name: ${ref.split('/')[1] ?? ''}
subjects:
${subjects}`;

export const user = (name: string) =>
  `  - name: ${name}\n    kind: User\n    apiGroup: rbac.authorization.k8s.io\n`;
export const group = (name: string) =>
  `  - name: ${name}\n    kind: Group\n    apiGroup: rbac.authorization.k8s.io\n`;
export const sa = (name: string, ns?: string) =>
  `  - name: ${name}\n    kind: ServiceAccount\n${ns === undefined ? '' : `    namespace: ${ns}\n`}`;
export const labels = (l: Record<string, string>) =>
  `  labels:\n${Object.entries(l)
    .map(([k, v]) => `    ${k}: "${v}"\n`)
    .join('')}`;

/** One rule line: `rule('""', 'secrets', 'get, list')`. */
export const rule = (apiGroups: string, resources: string, verbs: string, resourceNames?: string) =>
  `  - apiGroups: [${apiGroups}]\n    resources: [${resources}]\n    verbs: [${verbs}]\n${resourceNames === undefined ? '' : `    resourceNames: [${resourceNames}]\n`}`;

/** The 1-based line of the first line of `text` containing `needle` (the `nth`, 1-based). */
export function lineWith(text: string, needle: string, nth = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!(lines[i] ?? '').includes(needle)) continue;
    seen++;
    if (seen === nth) return i + 1;
  }
  throw new Error(`no line ${nth} with ${needle}`);
}
