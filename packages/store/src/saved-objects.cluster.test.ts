import { describeSavedObjectsContract } from './saved-objects-contract.ts';
import { openClusterForTest } from './transport-contract.ts';

// Distributed tables over two shards: every version of a row and every lease claim must land on one shard.
describeSavedObjectsContract('a 2-shard ClickHouse cluster', () => openClusterForTest(2));
