import { createHash } from 'node:crypto';
import type { LogPipelineStatus } from '@instant-logs/schema';
import { FIELD_MANAGER } from './desired/index.ts';
import { KubeApiError, type KubeClient, type KubeObject } from './kube/client.ts';
import { RESOURCES } from './kube/resources.ts';

/** What happened to a LogPipeline, as `kubectl describe` and `kubectl get events` show it. */
export interface PipelineEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

type CoreEvent = KubeObject & { count?: number; lastTimestamp?: string };
// The API server refuses longer Event messages.
const MAX_MESSAGE_BYTES = 1024;

/**
 * Records a core/v1 Event on the pipeline. The same reason and message again bumps the count of one
 * Event, as client-go's recorder does, instead of adding another. Never throws: an Event that
 * cannot be written must not fail the reconcile that reports it.
 */
export async function recordEvent(
  client: KubeClient,
  pipeline: KubeObject,
  event: PipelineEvent,
  now: string,
): Promise<void> {
  const { name, namespace, uid } = pipeline.metadata;
  const id = createHash('sha256')
    .update(`${uid}\n${event.type}\n${event.reason}\n${event.message}`)
    .digest('hex')
    .slice(0, 16);
  const message = truncate(event.message);
  try {
    await client.create(RESOURCES.Event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${id}`, namespace },
      involvedObject: { apiVersion: pipeline.apiVersion, kind: pipeline.kind, name, namespace, uid },
      type: event.type,
      reason: event.reason,
      message,
      source: { component: FIELD_MANAGER },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) return;
    const existing = await client.get<CoreEvent>(RESOURCES.Event, namespace, `${name}.${id}`).catch(() => undefined);
    if (existing)
      await client
        .replace(RESOURCES.Event, { ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: now })
        .catch(() => undefined);
  }
}

/**
 * Pure: the Event for a change of the Ready condition's status or reason, so `kubectl describe` tells
 * the story; undefined when it did not change. Losing Ready is a Warning; so is a not-ready reason
 * the caller calls a problem (`notReadyType`), as opposed to parts still starting.
 */
export function readyTransition(
  before: LogPipelineStatus | undefined,
  after: LogPipelineStatus,
  notReadyType: PipelineEvent['type'],
): PipelineEvent | undefined {
  const readyOf = (s: LogPipelineStatus | undefined) => s?.conditions?.find((c) => c.type === 'Ready');
  const [was, is] = [readyOf(before), readyOf(after)];
  if (!is || (was?.status === is.status && was.reason === is.reason)) return undefined;
  if (is.status === 'True') return { type: 'Normal', reason: 'Ready', message: is.message };
  return { type: was?.status === 'True' ? 'Warning' : notReadyType, reason: is.reason, message: is.message };
}

function truncate(message: string): string {
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) return message;
  return `${Buffer.from(message)
    .subarray(0, MAX_MESSAGE_BYTES - 3)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}...`;
}
