import type { Severity } from '../types.js';

/** Table cases per rule: each Dockerfile and the lines the rule must report (empty: valid). */
export type RuleCase = {
  readonly name: string;
  readonly text: string;
  readonly lines: readonly number[];
  readonly trustedRegistries?: readonly string[];
  readonly minimalBases?: readonly string[];
  /** The severity every finding must have, when not the rule's own. */
  readonly severity?: Severity;
  /** Raw secret values in `text` that no message or hint may repeat. */
  readonly secrets?: readonly string[];
};

// Fake credentials, assembled so that no full token sits in the source.
const GH_TOKEN = 'ghp_' + 'Zq8LmN3xV7bT2pR9sK4wY6hJ1cF5dG0aE2uQ';
const AWS_KEY = 'AKIA' + 'Q3EGRT5YJ7WLMN2P';
const PASS = 'Tr0ub4dor' + '-9xQ';

export const ruleCases: Readonly<Record<string, readonly RuleCase[]>> = {
  'PC-DF-001': [
    { name: 'tagged', text: 'FROM debian:12\n', lines: [] },
    { name: 'digest only', text: 'FROM debian@sha256:' + 'a'.repeat(64) + '\n', lines: [] },
    { name: 'untagged', text: 'FROM debian\n', lines: [1] },
    { name: 'latest', text: 'FROM debian:latest\n', lines: [1] },
    { name: 'registry port, no tag', text: 'FROM localhost:5000/app\n', lines: [1] },
    { name: 'ARG default resolves to latest', text: 'ARG V=latest\nFROM alpine:${V}\n', lines: [2] },
    { name: 'ARG default resolves to a version', text: 'ARG V=3.20\nFROM alpine:${V}\n', lines: [] },
    {
      name: 'stage alias and scratch exempt',
      text: 'FROM golang:1.22 AS b\nFROM b\nFROM scratch\n',
      lines: [],
    },
    { name: 'per stage', text: 'FROM golang AS b\nFROM alpine:3.20\n', lines: [1] },
    {
      name: 'image from an ARG without default is decided at build time',
      text: 'ARG IMAGE\nFROM $IMAGE\n',
      lines: [],
    },
    { name: 'ARG default without a tag', text: 'ARG IMAGE=ubuntu\nFROM $IMAGE\n', lines: [2] },
  ],
  'PC-DF-002': [
    { name: 'digest', text: 'FROM debian:12@sha256:' + 'a'.repeat(64) + '\n', lines: [] },
    { name: 'tag only', text: 'FROM debian:12\n', lines: [1] },
    {
      name: 'scratch and stage',
      text: 'FROM debian@sha256:' + 'b'.repeat(64) + ' AS x\nFROM x\nFROM scratch\n',
      lines: [],
    },
  ],
  'PC-DF-003': [
    { name: 'no list: rule off', text: 'FROM quay.io/x/y:1\n', lines: [] },
    { name: 'docker hub trusted', text: 'FROM debian:12\n', lines: [], trustedRegistries: ['docker.io'] },
    {
      name: 'index.docker.io alias',
      text: 'FROM debian:12\n',
      lines: [],
      trustedRegistries: ['index.docker.io'],
    },
    {
      name: 'untrusted',
      text: 'FROM debian:12\nFROM evil.example.com/x:1\n',
      lines: [2],
      trustedRegistries: ['docker.io'],
    },
    {
      name: 'repository prefix trusts only its own path',
      text: 'FROM ghcr.io/acme/base:1\nFROM ghcr.io/acmecorp/base:1\nFROM ghcr.io/other/acme:1\n',
      lines: [2, 3],
      trustedRegistries: ['ghcr.io/acme'],
    },
    {
      name: 'look-alike hosts are not the trusted host',
      text: 'FROM my-registry.io/app:1\nFROM my-registry.io.evil.com/app:1\nFROM my-registry.io-evil/app:1\n',
      lines: [2, 3],
      trustedRegistries: ['my-registry.io/'],
    },
    {
      name: 'port is part of the registry',
      text: 'FROM localhost:5000/base:1\nFROM localhost/base:1\nFROM localhost:5001/base:1\n',
      lines: [2, 3],
      trustedRegistries: ['localhost:5000'],
    },
    {
      name: 'official image prefix equals its short name',
      text: 'FROM debian:12\nFROM docker.io/library/debian:12\nFROM ubuntu:24.04\n',
      lines: [3],
      trustedRegistries: ['docker.io/library/debian'],
    },
    {
      name: 'Docker Hub organisation with a trailing slash',
      text: 'FROM acme/base:1\nFROM acmecorp/base:1\n',
      lines: [2],
      trustedRegistries: ['docker.io/acme/'],
    },
    {
      name: 'invalid prefix trusts nothing',
      text: 'FROM ghcr.io/acme/base:1\n',
      lines: [1],
      trustedRegistries: ['ghcr.io/acme/*'],
    },
  ],
  'PC-DF-004': [
    { name: 'distroless', text: 'FROM gcr.io/distroless/static-debian12:nonroot\n', lines: [] },
    { name: 'chainguard', text: 'FROM cgr.dev/chainguard/static:latest\n', lines: [] },
    { name: 'alpine', text: 'FROM alpine:3.20\n', lines: [] },
    { name: 'slim', text: 'FROM python:3.12-slim\n', lines: [] },
    { name: 'ubi micro', text: 'FROM registry.access.redhat.com/ubi9/ubi-micro:9.4\n', lines: [] },
    { name: 'scratch final', text: 'FROM golang:1.22 AS b\nFROM scratch\n', lines: [] },
    { name: 'full debian', text: 'FROM debian:12\n', lines: [1] },
    { name: 'follows stage inheritance', text: 'FROM ubuntu:24.04 AS base\nFROM base\n', lines: [1] },
    {
      name: 'policy minimal base prefix',
      text: 'FROM ghcr.io/acme/hardened/debian:12\n',
      lines: [],
      minimalBases: ['ghcr.io/acme/hardened'],
    },
    {
      name: 'policy minimal base matches on path boundaries',
      text: 'FROM ghcr.io/acme/hardened-not/debian:12\n',
      lines: [1],
      minimalBases: ['ghcr.io/acme/hardened'],
    },
    {
      name: 'policy minimal base by short Docker Hub name',
      text: 'FROM golang:1.22 AS b\nFROM debian:12\n',
      lines: [],
      minimalBases: ['debian'],
    },
    {
      name: 'policy minimal bases do not replace the built-in list',
      text: 'FROM debian:12 AS b\nFROM alpine:3.20\n',
      lines: [],
      minimalBases: ['ghcr.io/acme'],
    },
  ],
  'PC-DF-005': [
    {
      name: 'earlier alias',
      text: 'FROM golang:1.22 AS build\nFROM alpine:3.20\nCOPY --from=build /a /a\n',
      lines: [],
    },
    { name: 'earlier index', text: 'FROM golang:1.22\nFROM alpine:3.20\nCOPY --from=0 /a /a\n', lines: [] },
    { name: 'image reference', text: 'FROM alpine:3.20\nCOPY --from=nginx:1.27 /a /a\n', lines: [] },
    {
      name: 'unknown alias',
      text: 'FROM golang:1.22 AS build\nFROM alpine:3.20\nCOPY --from=biuld /a /a\n',
      lines: [3],
    },
    { name: 'current stage', text: 'FROM alpine:3.20 AS app\nCOPY --from=app /a /b\n', lines: [2] },
    {
      name: 'later stage',
      text: 'FROM alpine:3.20\nCOPY --from=later /a /b\nFROM alpine:3.20 AS later\n',
      lines: [2],
    },
    { name: 'later index', text: 'FROM alpine:3.20\nCOPY --from=1 /a /b\nFROM alpine:3.20\n', lines: [2] },
  ],
  'PC-DF-006': [
    { name: 'non-root user', text: 'FROM alpine:3.20\nUSER 10001\n', lines: [] },
    { name: 'no USER', text: 'FROM alpine:3.20\nRUN true\n', lines: [1] },
    { name: 'last USER root', text: 'FROM alpine:3.20\nUSER app\nUSER root\n', lines: [3] },
    {
      name: 'distroless nonroot base already sets a non-root user',
      text: 'FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n',
      lines: [],
    },
    {
      name: 'distroless nonroot base through a stage alias',
      text: 'FROM gcr.io/distroless/base:debug-nonroot AS run\nFROM run\nCOPY app /app\n',
      lines: [],
    },
    { name: 'distroless root variant', text: 'FROM gcr.io/distroless/static-debian12\n', lines: [1] },
    {
      name: 'Windows base without USER runs as ContainerAdministrator',
      text: 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo hi\n',
      lines: [1],
    },
    {
      name: 'Windows USER ContainerAdministrator',
      text: 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER ContainerAdministrator\n',
      lines: [2],
    },
    {
      name: 'Windows USER ContainerUser',
      text: 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER ContainerUser\n',
      lines: [],
    },
    { name: 'uid 0 with group', text: 'FROM alpine:3.20\nUSER 0:0\n', lines: [2] },
    {
      name: 'only the final stage counts',
      text: 'FROM alpine:3.20 AS b\nUSER root\nFROM alpine:3.20\nUSER app\n',
      lines: [],
    },
    {
      name: 'inherits USER from earlier stage',
      text: 'FROM alpine:3.20 AS base\nUSER app\nFROM base\nRUN true\n',
      lines: [],
    },
    {
      name: 'inherits root from earlier stage',
      text: 'FROM alpine:3.20 AS base\nUSER root\nFROM base\n',
      lines: [3],
    },
  ],
  'PC-DF-007': [
    { name: 'no sudo', text: 'FROM alpine:3.20\nRUN apk add --no-cache curl\n', lines: [] },
    { name: 'sudo word inside a name', text: 'FROM alpine:3.20\nRUN echo pseudosudoer\n', lines: [] },
    { name: 'sudo', text: 'FROM alpine:3.20\nRUN sudo apk add curl\n', lines: [2] },
    {
      name: 'sudo after continuation',
      text: 'FROM alpine:3.20\nRUN true \\\n  && sudo make install\n',
      lines: [2],
    },
  ],
  'PC-DF-008': [
    { name: 'local ADD', text: 'FROM alpine:3.20\nADD app.tar.gz /app\n', lines: [] },
    {
      name: 'with checksum',
      text: 'FROM alpine:3.20\nADD --checksum=sha256:' + 'c'.repeat(64) + ' https://e.com/x /x\n',
      lines: [],
    },
    { name: 'remote URL', text: 'FROM alpine:3.20\nADD https://example.com/x.tgz /x\n', lines: [2] },
  ],
  'PC-DF-009': [
    {
      name: 'download then verify',
      text: 'FROM alpine:3.20\nRUN curl -fsSLo i.sh https://e.com/i.sh && sha256sum -c s && sh i.sh\n',
      lines: [],
    },
    { name: 'curl pipe sh', text: 'FROM alpine:3.20\nRUN curl -fsSL https://e.com/i.sh | sh\n', lines: [2] },
    {
      name: 'wget pipe bash',
      text: 'FROM alpine:3.20\nRUN wget -qO- https://e.com/i.sh | /bin/bash -s\n',
      lines: [2],
    },
    {
      name: 'curl pipe tar is fine',
      text: 'FROM alpine:3.20\nRUN curl -fsSL https://e.com/x.tgz | tar xz\n',
      lines: [],
    },
  ],
  'PC-DF-010': [
    {
      name: 'verified',
      text: 'FROM alpine:3.20\nRUN curl -fsSL https://e.com -o x && pip install x\n',
      lines: [],
    },
    { name: 'curl -k', text: 'FROM alpine:3.20\nRUN curl -fsSLk https://e.com -o x\n', lines: [2] },
    {
      name: 'curl --insecure',
      text: 'FROM alpine:3.20\nRUN curl --insecure https://e.com -o x\n',
      lines: [2],
    },
    { name: 'wget', text: 'FROM alpine:3.20\nRUN wget --no-check-certificate https://e.com\n', lines: [2] },
    { name: 'apt', text: 'FROM debian:12\nRUN apt-get install -y --allow-unauthenticated x\n', lines: [2] },
    { name: 'yum', text: 'FROM fedora:40\nRUN yum install -y --nogpgcheck x\n', lines: [2] },
    { name: 'pip', text: 'FROM python:3.12\nRUN pip install --trusted-host pypi.org x\n', lines: [2] },
    { name: 'npm', text: 'FROM node:22\nRUN npm config set strict-ssl false\n', lines: [2] },
    { name: 'git env', text: 'FROM alpine:3.20\nENV GIT_SSL_NO_VERIFY=1\n', lines: [2] },
    { name: 'node env', text: 'FROM node:22\nENV NODE_TLS_REJECT_UNAUTHORIZED=0\n', lines: [2] },
  ],
  'PC-DF-011': [
    { name: 'http', text: 'FROM alpine:3.20\nEXPOSE 80 443\n', lines: [] },
    { name: 'port 2222', text: 'FROM alpine:3.20\nEXPOSE 2222\n', lines: [] },
    { name: 'ssh', text: 'FROM alpine:3.20\nEXPOSE 80 22/tcp\n', lines: [2] },
    { name: 'range including 22', text: 'FROM alpine:3.20\nEXPOSE 20-25\n', lines: [2] },
  ],
  'PC-DF-012': [
    { name: '755', text: 'FROM alpine:3.20\nRUN chmod 755 /app\n', lines: [] },
    { name: '777', text: 'FROM alpine:3.20\nRUN chmod -R 777 /app\n', lines: [2] },
    { name: 'sticky /tmp-style directory', text: 'FROM alpine:3.20\nRUN chmod 1777 /tmp/x\n', lines: [] },
    { name: 'o+w', text: 'FROM alpine:3.20\nRUN chmod o+w /app\n', lines: [2] },
    { name: 'COPY --chmod=777', text: 'FROM alpine:3.20\nCOPY --chmod=777 a /a\n', lines: [2] },
  ],
  'PC-DF-013': [
    {
      name: 'multi-stage build',
      text: 'FROM debian:12 AS b\nRUN apt-get install -y gcc make\nFROM debian:12-slim\n',
      lines: [],
    },
    {
      name: 'runtime deps only',
      text: 'FROM debian:12\nRUN apt-get install -y ca-certificates\n',
      lines: [],
    },
    {
      name: 'gcc in single stage',
      text: 'FROM debian:12\nRUN apt-get update && apt-get install -y build-essential\n',
      lines: [2],
    },
    {
      name: 'build deps removed in the same RUN',
      text: 'FROM alpine:3.20\nRUN apk add --virtual .b gcc make && make && apk del .b\n',
      lines: [],
    },
    { name: 'apk build-base', text: 'FROM alpine:3.20\nRUN apk add --no-cache build-base\n', lines: [2] },
  ],
  'PC-DF-014': [
    { name: 'plain ENV', text: 'FROM alpine:3.20\nENV APP_HOME=/app LANG=C.UTF-8\n', lines: [] },
    {
      name: 'placeholder ${TOKEN}',
      text: 'FROM alpine:3.20\nARG TOKEN\nENV NPM_TOKEN=${TOKEN}\n',
      lines: [2],
      severity: 'low',
    },
    { name: 'placeholder changeme', text: 'FROM alpine:3.20\nENV DB_PASSWORD=changeme\n', lines: [] },
    { name: 'placeholder <token>', text: 'FROM alpine:3.20\nENV API_TOKEN=<token>\n', lines: [] },
    { name: 'empty value', text: 'FROM alpine:3.20\nENV DB_PASSWORD=""\n', lines: [] },
    {
      name: 'password file path',
      text: 'FROM postgres:16\nENV POSTGRES_PASSWORD_FILE=/run/secrets/pg\n',
      lines: [],
    },
    {
      name: 'GPG key id',
      text: 'FROM python:3.12\nENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\n',
      lines: [],
    },
    {
      name: 'settings about tokens',
      text: 'FROM ruby:3.3\nENV SECRET_KEY_BASE_DUMMY=1 TOKEN_TIMEOUT=30 VAULT_TOKEN_URL=https://vault.local/t\n',
      lines: [],
    },
    { name: 'ARG without a default, not secret-like', text: 'FROM alpine:3.20\nARG VERSION\n', lines: [] },
    {
      name: 'ENV password',
      text: `FROM alpine:3.20\nENV DB_PASSWORD=${PASS}\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'legacy ENV form',
      text: `FROM alpine:3.20\nENV MYSQL_ROOT_PASSWORD ${PASS}\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'ARG default api key',
      text: `FROM alpine:3.20\nARG API_KEY="${PASS}"\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'engine finds a token under an innocent name',
      text: `FROM alpine:3.20\nENV GH=${GH_TOKEN}\n`,
      lines: [2],
      secrets: [GH_TOKEN],
    },
    {
      name: 'engine finds an AWS key in a global ARG',
      text: `ARG AKID=${AWS_KEY}\nFROM alpine:3.20\n`,
      lines: [1],
      secrets: [AWS_KEY],
    },
    {
      name: 'ARG token without default',
      text: 'FROM alpine:3.20\nARG NPM_TOKEN\n',
      lines: [2],
      severity: 'low',
    },
  ],
  'PC-DF-015': [
    {
      name: 'plain curl',
      text: 'FROM alpine:3.20\nRUN curl -fsSL https://example.org/a.tgz -o a.tgz\n',
      lines: [],
    },
    {
      name: 'curl -u with a variable',
      text: 'FROM alpine:3.20\nRUN curl -u "$USER:${TOKEN}" https://x.org/a\n',
      lines: [],
    },
    {
      name: 'secret mount',
      text: 'FROM alpine:3.20\nRUN --mount=type=secret,id=npm,target=/root/.npmrc npm ci\n',
      lines: [],
    },
    {
      name: 'mysql -p without value prompts',
      text: 'FROM alpine:3.20\nRUN mysql -u root -p -e "select 1"\n',
      lines: [],
    },
    { name: '--password changeme', text: 'FROM alpine:3.20\nRUN app --password changeme\n', lines: [] },
    {
      name: 'URL user only',
      text: 'FROM alpine:3.20\nRUN git clone https://git@example.org/r.git\n',
      lines: [],
    },
    {
      name: 'URL token placeholder',
      text: 'FROM alpine:3.20\nRUN curl "https://x.org/a?token=<token>"\n',
      lines: [],
    },
    { name: 'echo to a plain file', text: 'FROM alpine:3.20\nRUN echo hello > /etc/motd\n', lines: [] },
    {
      name: 'echo to a file ending in .env',
      text: 'FROM alpine:3.20\nRUN echo "A=1" > /tmp/packages/modules.env\n',
      lines: [],
    },
    {
      name: 'echo to .env',
      text: 'FROM alpine:3.20\nRUN echo "DB_HOST=db" > /app/.env\n',
      lines: [2],
    },
    {
      name: 'curl -u user:pass',
      text: `FROM alpine:3.20\nRUN curl -u admin:${PASS} https://x.org/a\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: '--password=',
      text: `FROM alpine:3.20\nRUN true \\\n  && app login --password=${PASS}\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'mysql -p<pass>',
      text: `FROM mysql:8\nRUN mysql -uroot -p${PASS} -e "select 1"\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'credentials in a URL',
      text: `FROM alpine:3.20\nRUN git clone https://bot:${PASS}@example.org/r.git\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'token in a URL query',
      text: `FROM alpine:3.20\nRUN wget "https://x.org/a?token=${PASS}"\n`,
      lines: [2],
      secrets: [PASS],
    },
    {
      name: 'echo $TOKEN to a file',
      text: 'FROM node:20\nARG NPM_TOKEN\nRUN echo $NPM_TOKEN > /root/token\n',
      lines: [3],
    },
    {
      name: 'echo to ~/.npmrc',
      text: 'FROM node:20\nRUN echo "//registry.npmjs.org/:_authToken=abc" > ~/.npmrc && npm ci\n',
      lines: [2],
    },
    {
      name: 'engine finds a token',
      text: `FROM alpine:3.20\nRUN GITHUB=${GH_TOKEN} ./fetch.sh\n`,
      lines: [2],
      secrets: [GH_TOKEN],
    },
  ],
  'PC-DF-016': [
    { name: 'app sources', text: 'FROM alpine:3.20\nCOPY src/ /app/src/\nADD app.tar.gz /app\n', lines: [] },
    { name: 'env example', text: 'FROM alpine:3.20\nCOPY .env.example /app/.env.example\n', lines: [] },
    { name: 'github dir', text: 'FROM alpine:3.20\nCOPY .github /x\n', lines: [] },
    { name: 'keyring', text: 'FROM alpine:3.20\nCOPY keys.txt /app/\n', lines: [] },
    { name: '.env', text: 'FROM alpine:3.20\nCOPY .env /app/.env\n', lines: [2] },
    { name: 'ssh key', text: 'FROM alpine:3.20\nCOPY id_rsa /root/.ssh/id_rsa\n', lines: [2] },
    { name: 'ed25519 in a dir', text: 'FROM alpine:3.20\nADD ssh/id_ed25519 /root/.ssh/\n', lines: [2] },
    {
      name: 'pem and key',
      text: 'FROM alpine:3.20\nCOPY certs/server.pem certs/server.key /etc/tls/\n',
      lines: [2],
    },
    { name: 'npmrc', text: 'FROM node:20\nCOPY .npmrc package.json ./\n', lines: [2] },
    {
      name: 'pypirc and netrc',
      text: 'FROM python:3.12\nCOPY .pypirc /root/\nCOPY .netrc /root/\n',
      lines: [2, 3],
    },
    { name: 'aws credentials', text: 'FROM alpine:3.20\nCOPY .aws/credentials /root/.aws/\n', lines: [2] },
    {
      name: 'docker config',
      text: 'FROM alpine:3.20\nCOPY .docker/config.json /root/.docker/\n',
      lines: [2],
    },
    { name: 'git credentials', text: 'FROM alpine:3.20\nCOPY .git-credentials /root/\n', lines: [2] },
    { name: 'kubeconfig', text: 'FROM alpine:3.20\nCOPY kubeconfig /root/.kube/config\n', lines: [2] },
    { name: 'kube config', text: 'FROM alpine:3.20\nCOPY .kube/config /root/.kube/config\n', lines: [2] },
    { name: 'p12 exec form', text: 'FROM alpine:3.20\nCOPY ["cert.p12", "/etc/cert.p12"]\n', lines: [2] },
    { name: 'pfx', text: 'FROM alpine:3.20\nCOPY --chown=app cert.pfx /etc/\n', lines: [2] },
    { name: '.git', text: 'FROM alpine:3.20\nCOPY .git /app/.git\n', lines: [2] },
  ],
};
