import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { guardBrowserRequest, hostName, isLoopbackHost, type BrowserGuardOptions } from './browser-guard.ts';
import { CodedError } from './errors.ts';

const LOCAL: BrowserGuardOptions = { authOff: true, allowedHosts: [], origins: [] };
const KEYS: BrowserGuardOptions = { authOff: false, allowedHosts: [], origins: ['https://grafana.example.com'] };

function refusal(headers: Record<string, string>, options: BrowserGuardOptions, method = 'GET'): string | undefined {
  try {
    guardBrowserRequest({ method, headers } as unknown as FastifyRequest, options);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CodedError && err.statusCode === 403);
    return err.code;
  }
}

test('loopback host names are recognised with and without ports', () => {
  for (const host of ['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['evil.example', 'localhost.evil.example', '10.0.0.1', '0.0.0.0', '127.0.0.1.evil.example'])
    assert.equal(isLoopbackHost(host), false, host);
  assert.equal(hostName('[::1]:8080'), '[::1]');
  assert.equal(hostName('localhost:8080'), 'localhost');
});

test('with auth off a foreign Host is refused (DNS rebinding), unless listed in ALLOWED_HOSTS', () => {
  assert.equal(refusal({ host: 'rebind.attacker.example:8080' }, LOCAL), 'HOST_NOT_ALLOWED');
  assert.equal(refusal({ host: '127.0.0.1:8080' }, LOCAL), undefined);
  assert.equal(refusal({ host: 'devbox:8080' }, { ...LOCAL, allowedHosts: ['devbox'] }), undefined);
  assert.equal(refusal({ host: 'logs.internal' }, { ...LOCAL, allowedHosts: 'any' }), undefined);
  assert.equal(
    refusal({ host: 'anything.example' }, KEYS),
    undefined,
    'with keys the Host is not what protects the data',
  );
});

test('with auth off a state-changing request from another origin is refused, a same-origin one is not', () => {
  const host = '127.0.0.1:8080';
  assert.equal(refusal({ host, origin: 'https://attacker.example' }, LOCAL, 'POST'), 'ORIGIN_NOT_ALLOWED');
  assert.equal(
    refusal({ host, origin: 'http://127.0.0.1:3000' }, LOCAL, 'POST'),
    'ORIGIN_NOT_ALLOWED',
    'another port is another origin',
  );
  assert.equal(refusal({ host, origin: 'null' }, LOCAL, 'POST'), 'ORIGIN_NOT_ALLOWED');
  assert.equal(refusal({ host, origin: 'http://127.0.0.1:8080' }, LOCAL, 'POST'), undefined);
  assert.equal(refusal({ host }, LOCAL, 'POST'), undefined, 'non-browser clients send no Origin');
  assert.equal(
    refusal({ host, origin: 'https://attacker.example' }, LOCAL, 'GET'),
    undefined,
    'a cross-origin GET cannot read the answer without CORS',
  );
});

test('a WebSocket upgrade from a foreign origin is refused in every mode; CORS_ORIGINS may open it', () => {
  const ws = { host: 'logs.example.com', upgrade: 'websocket' };
  assert.equal(refusal({ ...ws, origin: 'https://attacker.example' }, KEYS), 'ORIGIN_NOT_ALLOWED');
  assert.equal(
    refusal({ ...ws, host: 'localhost:8080', origin: 'https://attacker.example' }, LOCAL),
    'ORIGIN_NOT_ALLOWED',
  );
  assert.equal(refusal({ ...ws, origin: 'https://logs.example.com' }, KEYS), undefined);
  assert.equal(refusal({ ...ws, origin: 'https://Grafana.example.com/' }, KEYS), undefined);
});
