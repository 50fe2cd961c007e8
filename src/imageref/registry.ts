import { DOCKER_HUB_REGISTRY } from './parse.js';

// Docker Hub is named docker.io in references, but its distribution API is served elsewhere.
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

/** The host[:port] to contact for a registry's API: Docker Hub's is registry-1.docker.io. */
export function registryEndpointHost(registry: string): string {
  const lower = registry.toLowerCase();
  return lower === DOCKER_HUB_REGISTRY || lower === 'index.docker.io' ? DOCKER_HUB_ENDPOINT : registry;
}

const IPV4_LOOPBACK_RE = /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/;
const PORT_RE = /^[0-9]{1,5}$/;

function isIpv6Loopback(address: string): boolean {
  if (!/^[0-9a-fA-F:]{2,39}$/.test(address)) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return false;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return (
    all.slice(0, 7).every((g) => Number.parseInt(g, 16) === 0) && Number.parseInt(all[7] ?? '', 16) === 1
  );
}

/**
 * True for registries on this machine's loopback interface: `localhost`, `127.0.0.0/8` and
 * `[::1]`, with or without a port. Docker treats these as insecure (plain HTTP) by default.
 */
export function isLoopbackRegistry(registry: string): boolean {
  if (registry.startsWith('[')) {
    const close = registry.indexOf(']');
    if (close < 0) return false;
    const rest = registry.slice(close + 1);
    if (rest !== '' && !(rest.startsWith(':') && PORT_RE.test(rest.slice(1)))) return false;
    return isIpv6Loopback(registry.slice(1, close));
  }
  const colon = registry.indexOf(':');
  if (colon >= 0 && !PORT_RE.test(registry.slice(colon + 1))) return false;
  const host = colon < 0 ? registry : registry.slice(0, colon);
  if (host.toLowerCase() === 'localhost') return true;
  return IPV4_LOOPBACK_RE.test(host) && host.split('.').every((octet) => Number(octet) <= 255);
}
