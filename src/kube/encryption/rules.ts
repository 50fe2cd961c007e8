import type { RuleMeta } from '../../report/index.js';

// The EncryptionConfiguration checks (PC-K8S-080..099). Their severities follow the project's
// issue 8; docs/encryption-config.md explains each one and where kube-bench (CIS 1.2.28)
// differs. One table rather than one file per rule: they share one walk over the file.

const docs = (id: string): string => `docs/encryption-config.md#${id.toLowerCase()}`;

export const IDENTITY_FIRST_FOR_SECRETS: RuleMeta = {
  id: 'PC-K8S-080',
  severity: 'high',
  title: 'Secrets are written in plain text (identity is the first provider)',
  hint: 'Put an encrypting provider (kms with apiVersion v2, or secretbox) first and keep identity: {} last, so existing plain-text Secrets stay readable until they are rewritten.',
  docs: docs('PC-K8S-080'),
  equivalents: {},
};

export const SECRETS_NOT_COVERED: RuleMeta = {
  id: 'PC-K8S-081',
  severity: 'high',
  title: 'Secrets are not encrypted (no resources entry covers them)',
  hint: "Add an entry whose resources list secrets (or '*.' / '*.*') with an encrypting provider first.",
  docs: docs('PC-K8S-081'),
  equivalents: {},
};

export const AESCBC_WRITES: RuleMeta = {
  id: 'PC-K8S-082',
  severity: 'medium',
  title: 'aescbc encrypts new writes (weak per the Kubernetes docs)',
  hint: 'AES-CBC is open to padding-oracle attacks; switch new writes to kms (apiVersion v2) or secretbox: `portcullis gen encryption-config --rotate-from FILE`.',
  docs: docs('PC-K8S-082'),
  equivalents: {},
};

export const AESGCM_WRITES: RuleMeta = {
  id: 'PC-K8S-083',
  severity: 'medium',
  title: 'aesgcm encrypts new writes (its key must be rotated every 200,000 writes)',
  hint: 'AES-GCM with random nonces is only safe with automated key rotation; prefer kms (apiVersion v2) or secretbox.',
  docs: docs('PC-K8S-083'),
  equivalents: {},
};

export const KMS_V1: RuleMeta = {
  id: 'PC-K8S-084',
  severity: 'medium',
  title: 'KMS v1 provider (deprecated since Kubernetes 1.28, disabled by default since 1.29)',
  hint: 'Migrate to apiVersion: v2 (a KMS v2 plugin); v1 needs --feature-gates=KMSv1=true from Kubernetes 1.29 on.',
  docs: docs('PC-K8S-084'),
  equivalents: {},
};

export const LOCAL_KEY_PROVIDER: RuleMeta = {
  id: 'PC-K8S-085',
  severity: 'info',
  title: 'The encryption key is stored on the control-plane host',
  hint: 'A key in this file protects etcd and its backups, not a compromised control-plane host; KMS v2 keeps the key in an external KMS.',
  docs: docs('PC-K8S-085'),
  equivalents: {},
};

export const AESCBC_KEY_LENGTH: RuleMeta = {
  id: 'PC-K8S-086',
  severity: 'high',
  title: 'aescbc key is not 32 bytes',
  hint: 'The EncryptionConfiguration reference asks for 32-byte AES-CBC keys (AES-256); generate one with `portcullis gen encryption-config`.',
  docs: docs('PC-K8S-086'),
  equivalents: {},
};

export const DUPLICATE_KEY_NAME: RuleMeta = {
  id: 'PC-K8S-087',
  severity: 'medium',
  title: 'Two keys (or KMS providers) of the same kind share a name',
  hint: 'The name is written into every stored value (k8s:enc:aescbc:v1:NAME:); give each key a unique name, e.g. the date it was generated.',
  docs: docs('PC-K8S-087'),
  equivalents: {},
};

export const WEAK_KEY_MATERIAL: RuleMeta = {
  id: 'PC-K8S-088',
  severity: 'low',
  title: 'Key material is not random (text, or an example key from the documentation)',
  hint: 'Keys must be random bytes (head -c 32 /dev/urandom | base64, or `portcullis gen encryption-config`); anyone who knows an example key can read an etcd backup.',
  docs: docs('PC-K8S-088'),
  equivalents: {},
};

export const WILDCARD_RESOURCES: RuleMeta = {
  id: 'PC-K8S-089',
  severity: 'info',
  title: 'Wildcard resources',
  hint: "Wildcards ('*.*', '*.', '*.GROUP') need Kubernetes 1.27 or later and cover resources added later too; list opt-outs (events with identity) in entries before the wildcard.",
  docs: docs('PC-K8S-089'),
  equivalents: {},
};

export const PLAIN_TEXT_RESOURCES: RuleMeta = {
  id: 'PC-K8S-090',
  severity: 'info',
  title: 'Resources written in plain text by choice (identity first)',
  hint: 'Fine for high-volume, non-sensitive resources such as events; make sure nothing sensitive is listed in this entry.',
  docs: docs('PC-K8S-090'),
  equivalents: {},
};

export const APISERVER_WITHOUT_ENCRYPTION: RuleMeta = {
  id: 'PC-K8S-095',
  severity: 'high',
  title: 'kube-apiserver runs without --encryption-provider-config',
  hint: 'Without an EncryptionConfiguration, Secrets are stored in etcd in plain text; generate one with `portcullis gen encryption-config` and pass --encryption-provider-config.',
  // A manifest rule, registered with the others, so its page sits with theirs.
  docs: 'docs/rules/PC-K8S-095.md',
  equivalents: { checkov: ['CKV_K8S_104'], trivy: ['KCV-0030'] },
};

/** The checks `portcullis audit encryption-config` runs, in id order. */
export const ENCRYPTION_CONFIG_RULES: readonly RuleMeta[] = [
  IDENTITY_FIRST_FOR_SECRETS,
  SECRETS_NOT_COVERED,
  AESCBC_WRITES,
  AESGCM_WRITES,
  KMS_V1,
  LOCAL_KEY_PROVIDER,
  AESCBC_KEY_LENGTH,
  DUPLICATE_KEY_NAME,
  WEAK_KEY_MATERIAL,
  WILDCARD_RESOURCES,
  PLAIN_TEXT_RESOURCES,
];
