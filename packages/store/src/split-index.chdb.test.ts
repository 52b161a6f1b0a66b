import { describeSplitIndexContract } from './split-index-contract.ts';
import { openChdbForTest } from './transport-contract.ts';

describeSplitIndexContract('chdb', () => openChdbForTest('split-index-chdb-'));
