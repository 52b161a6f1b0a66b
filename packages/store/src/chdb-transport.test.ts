import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbTransport } from './chdb-transport.ts';
import { describeTransportContract } from './transport-contract.ts';

describeTransportContract('chdb', async () => {
  const path = await mkdtemp(join(tmpdir(), 'chdb-contract-'));
  const transport = createChdbTransport({ path });
  return {
    transport,
    async close() {
      await transport.close();
      await rm(path, { recursive: true, force: true });
    },
  };
});
