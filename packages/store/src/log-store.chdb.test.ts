import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbTransport } from './chdb-transport.ts';
import { describeLogStoreContract } from './log-store-contract.ts';

describeLogStoreContract('chdb', async () => {
  const path = await mkdtemp(join(tmpdir(), 'log-store-chdb-'));
  const transport = createChdbTransport({ path });
  return {
    transport,
    async close() {
      await transport.close();
      await rm(path, { recursive: true, force: true });
    },
  };
});
