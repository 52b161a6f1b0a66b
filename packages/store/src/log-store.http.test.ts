import { startClickHouseServer } from '@instant-logs/testbed';
import { createHttpTransport } from './http-transport.ts';
import { describeLogStoreContract } from './log-store-contract.ts';

describeLogStoreContract('ClickHouse HTTP', async () => {
  const server = await startClickHouseServer();
  const transport = createHttpTransport({ url: server.url });
  return {
    transport,
    async close() {
      await transport.close();
      await server.stop();
    },
  };
});
