import { describeLogStoreContract } from './log-store-contract.ts';
import { openClusterForTest } from './transport-contract.ts';

describeLogStoreContract('a 2-shard ClickHouse cluster', () => openClusterForTest(2));
