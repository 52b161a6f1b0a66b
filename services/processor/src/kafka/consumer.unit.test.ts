import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { isMembershipError } from './consumer.ts';

// The errors built as kafkajs builds them: createErrorFromCode for the broker's answer, then its
// retrier's wrapper (KafkaJSNonRetriableError / KafkaJSNumberOfRetriesExceeded with `cause`).
const { KafkaJSProtocolError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
type Wrapper = new (e: Error, options: { cause?: Error; retryCount?: number; retryTime?: number }) => Error;
const fromBroker = (type: string, code: number, retriable = false) =>
  new KafkaJSProtocolError({ type, code, retriable, message: `broker said ${type}` } as unknown as Error);
const wrapped = (Wrap: unknown, e: Error) => new (Wrap as Wrapper)(e, { cause: e, retryCount: 8, retryTime: 5000 });

test('membership errors are recognised bare and inside kafkajs retry wrappers', () => {
  const cases: [string, unknown, boolean][] = [
    ['heartbeat: REBALANCE_IN_PROGRESS', fromBroker('REBALANCE_IN_PROGRESS', 27), true],
    [
      'commit: ILLEGAL_GENERATION, non-retriable wrapper',
      wrapped(KafkaJSNonRetriableError, fromBroker('ILLEGAL_GENERATION', 22)),
      true,
    ],
    [
      'commit: UNKNOWN_MEMBER_ID, non-retriable wrapper',
      wrapped(KafkaJSNonRetriableError, fromBroker('UNKNOWN_MEMBER_ID', 25)),
      true,
    ],
    [
      'commit: FENCED_INSTANCE_ID, retries exceeded',
      wrapped(KafkaJSNumberOfRetriesExceeded, fromBroker('FENCED_INSTANCE_ID', 82)),
      true,
    ],
    [
      'commit: NOT_COORDINATOR, retries exceeded',
      wrapped(KafkaJSNumberOfRetriesExceeded, fromBroker('NOT_COORDINATOR', 16, true)),
      false,
    ],
    ['a connection error', new Error('connect ECONNREFUSED 127.0.0.1:9092'), false],
    ['nothing', undefined, false],
  ];
  for (const [name, err, want] of cases) assert.equal(isMembershipError(err), want, name);
});
