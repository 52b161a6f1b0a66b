import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTailTickets } from './tail-tickets.ts';
import type { Principal } from './auth.ts';

const ADMIN: Principal = { tenant: 'acme', id: 'key:0123456789ab', scopes: new Set(['query', 'admin']) };

test('a ticket stands for its tenant and key with only the query scope, once', () => {
  const tickets = createTailTickets();
  const { ticket } = tickets.issue(ADMIN);
  const principal = tickets.redeem(ticket);
  assert.deepEqual(
    { ...principal, scopes: [...(principal?.scopes ?? [])] },
    { tenant: 'acme', id: 'key:0123456789ab', scopes: ['query'] },
  );
  assert.equal(tickets.redeem(ticket), undefined, 'a second use was accepted');
});

test('a ticket expires after its lifetime', () => {
  let now = 1_000_000;
  const tickets = createTailTickets({ ttlMs: 30_000, clock: () => now });
  const { ticket, expiresAt } = tickets.issue(ADMIN);
  assert.equal(expiresAt, 1_030_000);
  now = expiresAt;
  assert.equal(tickets.redeem(ticket), undefined);
});

test('a replica with the same secret accepts the ticket; one with another secret does not', () => {
  const secret = Buffer.alloc(32, 7);
  const { ticket } = createTailTickets({ secret }).issue(ADMIN);
  assert.equal(createTailTickets({ secret: Buffer.alloc(32, 8) }).redeem(ticket), undefined);
  assert.equal(createTailTickets({ secret }).redeem(ticket)?.tenant, 'acme');
});

test('a ticket whose payload was altered, or that is not a ticket at all, is refused', () => {
  const tickets = createTailTickets();
  const { ticket } = tickets.issue(ADMIN);
  const [body, mac] = ticket.slice('idt_'.length).split('.');
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...payload, tenant: 'other' })).toString('base64url');
  for (const bad of [
    `idt_${forged}.${mac}`,
    `idt_${body}`,
    `idt_${body}.${mac}.x`,
    '',
    'idl_0123456789ab_key',
    `idt_${'a'.repeat(600)}.${mac}`,
  ]) {
    assert.equal(tickets.redeem(bad), undefined, bad.slice(0, 40));
  }
  assert.equal(tickets.redeem(ticket)?.tenant, 'acme', 'the genuine ticket stopped working');
});
