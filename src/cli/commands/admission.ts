import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  AdmissionManifestsError,
  assertWebhookNames,
  buildAdmissionManifests,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_WEBHOOK_NAME,
  OPT_OUT_LABEL,
  serviceDnsNames,
  type FailurePolicy,
} from '../../admission/index.js';
import { writeFileAtomic, type Logger } from '../../core/index.js';
import { loadPolicyFile, PolicyError, POLICY_FILE_NAME } from '../../policy/index.js';
import { generateCertificateAuthority, issueServingCertificate } from '../../tls/index.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError, writeLine, type CliIO } from '../io.js';
import { toolInfo } from '../tool.js';

/** The image the manifests run when --image is not given: this version of Portcullis. */
export function defaultWebhookImage(): string {
  return `portcullis:${toolInfo().version}`;
}

export const admissionHelp = `Usage: portcullis admission manifests --namespace NS [--name NAME] [--image IMAGE]
                  [--policy FILE] [--failure-policy Fail|Ignore] [--timeout-seconds N]
                  [--no-mutating] [--output FILE]
       portcullis admission serve [options]   (see portcullis admission serve --help)

admission manifests prints the Kubernetes objects that run the admission webhook, as
multi-document YAML for "kubectl apply -f -": ServiceAccount (no token, no Role), the policy as
a ConfigMap, a Secret with a fresh CA and serving certificate, Deployment (2 replicas, non-root,
read-only root filesystem), Service, PodDisruptionBudget, and the Validating and Mutating webhook
configurations with caBundle filled in. The namespace is not created: it must exist. Every run
makes a new CA and key; the output holds the private key, so treat it as a secret.

The webhooks skip kube-system, the webhook's own namespace, and namespaces labelled
${OPT_OUT_LABEL}=true. See docs/admission.md (Deployment) for the failurePolicy choices.

Options:
  --namespace NS             namespace the webhook runs in (required; must exist)
  --name NAME                name of the Deployment, Service, ... (default ${DEFAULT_WEBHOOK_NAME})
  --image IMAGE              the Portcullis image (default portcullis:<this version>)
  --policy FILE              the policy file, validated first (default ./${POLICY_FILE_NAME})
  --failure-policy Fail|Ignore
                             the validating webhook's failurePolicy (default Fail: fail closed;
                             Ignore admits everything while the webhook is down)
  --timeout-seconds N        API server timeout per call, 1-30 (default ${DEFAULT_TIMEOUT_SECONDS}); the server's
                             own deadline is set below it
  --no-mutating              leave out the mutating webhook (no pinning of tags to digests)
  --output FILE              write to FILE (atomically, mode 0600) instead of stdout

Exit codes: 0 printed or written, 2 invalid option or policy, 3 policy file not found.`;

/** One `admission` subcommand. */
export type AdmissionSubcommand = (argv: string[], io: CliIO, logger: Logger) => Promise<number>;

function parseFailurePolicy(value: string): FailurePolicy {
  if (value === 'Fail' || value === 'Ignore') return value;
  throw new UsageError(`--failure-policy must be Fail or Ignore, not "${value.slice(0, 20)}"`);
}

function parseTimeoutSeconds(value: string): number {
  if (!/^\d{1,3}$/.test(value)) {
    throw new UsageError(`--timeout-seconds must be a whole number of seconds, not "${value.slice(0, 20)}"`);
  }
  return Number(value);
}

/** The policy file named by --policy, else ./portcullis.yaml when it exists. */
function policyPath(option: string | undefined, cwd: string): string {
  if (option !== undefined) return path.resolve(cwd, option);
  const fallback = path.join(cwd, POLICY_FILE_NAME);
  if (!existsSync(fallback)) {
    throw new PolicyError(
      'POLICY_NOT_FOUND',
      `no --policy given and no ${POLICY_FILE_NAME} in ${cwd}: pass --policy FILE (the policy the webhook enforces)`,
    );
  }
  return fallback;
}

async function runManifests(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      namespace: { type: 'string' },
      name: { type: 'string', default: DEFAULT_WEBHOOK_NAME },
      image: { type: 'string' },
      policy: { type: 'string' },
      'failure-policy': { type: 'string', default: 'Fail' },
      'timeout-seconds': { type: 'string', default: String(DEFAULT_TIMEOUT_SECONDS) },
      'no-mutating': { type: 'boolean', default: false },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    writeLine(io.stdout, admissionHelp);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `admission manifests takes no arguments, got "${(positionals[0] ?? '').slice(0, 40)}"`,
    );
  }
  if (values.namespace === undefined || values.namespace === '') {
    throw new UsageError('admission manifests needs --namespace NS (the namespace the webhook runs in)');
  }
  const namespace = values.namespace;
  const name = values.name;
  const failurePolicy = parseFailurePolicy(values['failure-policy']);
  const timeoutSeconds = parseTimeoutSeconds(values['timeout-seconds']);
  assertWebhookNames(namespace, name);

  const file = policyPath(values.policy, io.cwd);
  // loadPolicyFile reports a missing, unreadable, oversized or invalid file (file:line:col);
  // the text is then embedded as written, comments and all, and validated again by the builder.
  await loadPolicyFile(file);
  const policyText = await readFile(file, 'utf8');

  const ca = await generateCertificateAuthority({
    commonName: `${name}.${namespace} webhook CA`,
    validDays: 3650,
  });
  const serving = await issueServingCertificate(ca, {
    dnsNames: serviceDnsNames(name, namespace),
    validDays: 730,
  });
  const manifests = buildAdmissionManifests({
    namespace,
    name,
    image: values.image ?? defaultWebhookImage(),
    policyText,
    policyFileName: values.policy ?? POLICY_FILE_NAME,
    tls: { caCertPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem },
    failurePolicy,
    timeoutSeconds,
    mutating: !values['no-mutating'],
  });
  logger.debug('admission manifests', { namespace, name, objects: manifests.objects.length });
  if (values.output !== undefined) {
    const target = path.resolve(io.cwd, values.output);
    await writeFileAtomic(target, manifests.yaml, 0o600);
    writeLine(
      io.stderr,
      `wrote ${values.output}: ${manifests.objects.length} objects for namespace ${namespace}; it holds the webhook's private key (mode 0600)`,
    );
  } else {
    io.stdout.write(manifests.yaml);
  }
  return ExitCode.ok;
}

/**
 * The `admission` subcommands, each loaded only when it runs (`serve` pulls in the HTTPS server,
 * the registry client and the scanner).
 */
export const ADMISSION_SUBCOMMANDS: Readonly<Record<string, () => Promise<AdmissionSubcommand>>> = {
  manifests: () => Promise.resolve(runManifests),
  serve: async () => (await import('./admission-serve.js')).runAdmissionServe,
};

/**
 * `portcullis admission <subcommand>`: `manifests` prints the webhook's Kubernetes objects;
 * `serve` runs the webhook. Invalid manifest options exit 2, reported here so they do not depend
 * on the shared exit-code table.
 */
export async function runAdmission(argv: string[], io: CliIO, logger: Logger): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    writeLine(sub === undefined ? io.stderr : io.stdout, admissionHelp);
    return sub === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const load = Object.hasOwn(ADMISSION_SUBCOMMANDS, sub) ? ADMISSION_SUBCOMMANDS[sub] : undefined;
  if (load === undefined) {
    throw new UsageError(
      `unknown admission subcommand "${sub.slice(0, 40)}"; expected ${Object.keys(ADMISSION_SUBCOMMANDS).join(' or ')}`,
    );
  }
  try {
    return await (
      await load()
    )(rest, io, logger);
  } catch (err) {
    if (err instanceof AdmissionManifestsError) {
      writeLine(io.stderr, `portcullis: ${err.message} [${err.code}]`);
      return ExitCode.usage;
    }
    throw err;
  }
}
