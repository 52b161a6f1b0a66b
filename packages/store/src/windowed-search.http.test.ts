import { openHttpForTest } from './transport-contract.ts';
import { describeWindowedSearchContract } from './windowed-search-contract.ts';

describeWindowedSearchContract('ClickHouse HTTP', openHttpForTest);
