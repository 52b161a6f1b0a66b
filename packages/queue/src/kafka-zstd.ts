import { promisify } from 'node:util';
import zlib from 'node:zlib';
import kafkajs from 'kafkajs';

const compress = promisify(zlib.zstdCompress);
const decompress = promisify(zlib.zstdDecompress);

/** Level 1: the fastest of zstd's standard levels, still smaller than gzip's default on log lines (bench/results/kafka.md). */
export const ZSTD_LEVEL = 1;

let registered = false;

/**
 * kafkajs ships only gzip and throws on zstd batches; Node's own zlib has zstd, so the codec is a few lines and
 * needs no native add-on. It runs on libuv's thread pool like gzip does, off the event loop. Registered once, for
 * every client in the process: the processor must read what any producer (or a topic's compression.type) wrote.
 */
export function registerZstdCodec(): void {
  if (registered) return;
  registered = true;
  // A default import: Node's named-export detection misses CompressionCodecs in kafkajs' CommonJS index.
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) =>
      compress(encoder.buffer, { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } }),
    decompress: (buffer: Buffer) => decompress(buffer),
  });
}
