import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogPipelineStatus } from '@instant-logs/schema';
import { readyTransition } from './events.ts';

const ready = (status: 'True' | 'False', reason: string): LogPipelineStatus => ({
  observedGeneration: 1,
  conditions: [
    {
      type: 'Ready',
      status,
      reason,
      message: `${reason} message`,
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
});

test('Ready transitions become Events, and an unchanged Ready none', () => {
  const cases: [LogPipelineStatus | undefined, LogPipelineStatus, 'Normal' | 'Warning', unknown][] = [
    [
      undefined,
      ready('False', 'Unavailable'),
      'Normal',
      { type: 'Normal', reason: 'Unavailable', message: 'Unavailable message' },
    ],
    [
      ready('False', 'Unavailable'),
      ready('True', 'AllComponentsReady'),
      'Normal',
      { type: 'Normal', reason: 'Ready', message: 'AllComponentsReady message' },
    ],
    [
      ready('True', 'AllComponentsReady'),
      ready('False', 'Unavailable'),
      'Normal',
      { type: 'Warning', reason: 'Unavailable', message: 'Unavailable message' },
    ],
    [
      ready('False', 'Unavailable'),
      ready('False', 'SecretNotFound'),
      'Warning',
      { type: 'Warning', reason: 'SecretNotFound', message: 'SecretNotFound message' },
    ],
    [ready('False', 'Unavailable'), ready('False', 'Unavailable'), 'Normal', undefined],
    [ready('True', 'AllComponentsReady'), ready('True', 'AllComponentsReady'), 'Normal', undefined],
  ];
  for (const [before, after, notReadyType, expected] of cases)
    assert.deepEqual(readyTransition(before, after, notReadyType), expected);
});
