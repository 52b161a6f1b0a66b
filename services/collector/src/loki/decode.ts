import { LIMITS } from '@instant-logs/schema';
import { KIT_ERRORS } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { decompress } from '../decode-body.ts';
import { decodePushJson } from './json.ts';
import { decodePushProto } from './proto.ts';
import type { PushRequest } from './push-request.ts';
import { decodeSnappyBlock, SnappyError } from './snappy.ts';

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);

/** Decodes a Loki push body by its Content-Type: snappy-compressed protobuf, or JSON (gzip/zstd/deflate allowed). */
export async function decodePush(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
): Promise<PushRequest> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (PROTOBUF_TYPES.has(type)) {
    // Loki's protobuf body is always a snappy block; a "Content-Encoding: snappy" header only restates that.
    const raw = await decompress(body, encoding === 'snappy' ? undefined : encoding);
    return decodePushProto(unsnappy(raw));
  }
  if (type === 'application/json' || type === '')
    return decodePushJson((await decompress(body, encoding)).toString('utf8'));
  throw KIT_ERRORS.UNSUPPORTED_MEDIA_TYPE({
    type,
    accepted: 'application/x-protobuf (snappy), application/json',
    field: 'Content-Type',
  });
}

function unsnappy(raw: Buffer): Buffer {
  try {
    return decodeSnappyBlock(raw, LIMITS.maxRequestBytes);
  } catch (err) {
    if (!(err instanceof SnappyError)) throw err;
    if (err.tooLarge)
      throw KIT_ERRORS.PAYLOAD_TOO_LARGE({
        what: `request body uncompressed (${err.message})`,
        limit: LIMITS.maxRequestBytes,
      });
    throw COLLECTOR_ERRORS.BAD_SNAPPY({ reason: err.message, field: 'body' });
  }
}
