import { describe, it, expect } from 'vitest';
import { isLoopbackRegistry, registryEndpointHost } from './registry.js';

describe('registryEndpointHost', () => {
  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['index.docker.io', 'registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['localhost:5000', 'localhost:5000'],
    ['[::1]:5000', '[::1]:5000'],
    ['registry-1.docker.io', 'registry-1.docker.io'],
  ])('contacts %s at %s', (registry, host) => {
    expect(registryEndpointHost(registry)).toBe(host);
  });
});

describe('isLoopbackRegistry', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['LOCALHOST:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:5055', true],
    ['127.1.2.3:80', true],
    ['127.255.255.255', true],
    ['[::1]', true],
    ['[::1]:5000', true],
    ['[0:0:0:0:0:0:0:1]:5000', true],
    ['[0000::0001]', true],
    ['127.256.0.1', false],
    ['127.0.0', false],
    ['128.0.0.1', false],
    ['10.0.0.1:5000', false],
    ['localhost.example.com', false],
    ['mylocalhost', false],
    ['localhost:', false],
    ['localhost:http', false],
    ['[::2]:5000', false],
    ['[::]:5000', false],
    ['[::1', false],
    ['[::1]x', false],
    ['[1::1]', false],
    ['[::ffff:127.0.0.1]', false],
    ['docker.io', false],
    ['', false],
  ])('says %s is loopback: %s', (registry, expected) => {
    expect(isLoopbackRegistry(registry)).toBe(expected);
  });
});
