// @ts-check
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which capability may import which. A capability imports another only through its index.ts,
 * and only along these edges, so the dependency graph stays one-way (see ARCHITECTURE.md).
 */
const allowedDeps = {
  core: [],
  imageref: ['core'],
  oci: ['core', 'imageref'],
  version: ['core'],
  inventory: ['core', 'imageref', 'oci', 'version'],
  sbom: ['core', 'imageref', 'oci', 'inventory'],
  vulndb: ['core'],
  scan: ['core', 'imageref', 'oci', 'version', 'inventory', 'vulndb', 'sbom'],
  secrets: ['core'],
  report: ['core'],
  dockerfile: ['core', 'imageref', 'oci', 'secrets', 'report'],
  policy: ['core', 'imageref'],
  admission: ['core', 'imageref', 'policy'],
  webhook: ['core', 'imageref', 'policy', 'admission'],
  signing: ['core', 'imageref', 'oci'],
  tls: ['core'],
  registry: ['core', 'imageref', 'oci'],
  kube: ['core', 'imageref', 'secrets', 'report', 'policy'],
  cli: ['*'],
  server: ['*'],
  testing: ['*'],
};

const srcRoot = path.resolve(import.meta.dirname, 'src');

/** @type {import('eslint').Rule.RuleModule} */
const boundaries = {
  meta: { type: 'problem', schema: [], messages: { deep: '{{msg}}' } },
  create(context) {
    const file = context.filename;
    const rel = path.relative(srcRoot, file);
    if (rel.startsWith('..')) return {};
    const fromCap = rel.split(path.sep)[0] ?? '';
    return {
      ImportDeclaration(node) {
        check(node, node.source.value);
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value);
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value);
      },
    };
    /** @param {import('estree').Node} node @param {unknown} spec */
    function check(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.relative(srcRoot, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) return;
      const parts = target.split(path.sep);
      const toCap = parts[0] ?? '';
      if (toCap === fromCap) return;
      // Tests may use the test-only helpers in src/testing directly; src code never may.
      if (toCap === 'testing' && file.endsWith('.test.ts')) return;
      if (!(parts.length === 2 && parts[1] === 'index.js')) {
        context.report({
          node,
          messageId: 'deep',
          data: { msg: `import ${toCap} through src/${toCap}/index.ts, not ${spec}` },
        });
        return;
      }
      const allowed = allowedDeps[/** @type {keyof typeof allowedDeps} */ (fromCap)];
      if (allowed === undefined) {
        context.report({
          node,
          messageId: 'deep',
          data: { msg: `capability ${fromCap} has no entry in eslint.config.mjs allowedDeps` },
        });
      } else if (!allowed.includes('*') && !allowed.includes(toCap)) {
        context.report({
          node,
          messageId: 'deep',
          data: {
            msg: `${fromCap} may not depend on ${toCap} (allowed: ${allowed.join(', ') || 'nothing'})`,
          },
        });
      }
    }
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**', '**/testdata/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { portcullis: { rules: { boundaries } } },
    rules: {
      'portcullis/boundaries': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a union of string literals, not an enum.' },
        {
          selector: 'Literal[raw="null"]',
          message: 'Use undefined, not null (house style), unless a format requires null.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
