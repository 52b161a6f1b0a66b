import { describeLogStoreContract } from './log-store-contract.ts';
import { openHttpForTest } from './transport-contract.ts';

describeLogStoreContract('ClickHouse HTTP', openHttpForTest);
