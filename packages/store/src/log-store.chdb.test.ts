import { describeLogStoreContract } from './log-store-contract.ts';
import { openChdbForTest } from './transport-contract.ts';

describeLogStoreContract('chdb', () => openChdbForTest('log-store-chdb-'));
