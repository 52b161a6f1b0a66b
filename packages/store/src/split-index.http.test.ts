import { describeSplitIndexContract } from './split-index-contract.ts';
import { openHttpForTest } from './transport-contract.ts';

describeSplitIndexContract('ClickHouse HTTP', openHttpForTest);
