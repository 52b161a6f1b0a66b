import { openChdbForTest } from './transport-contract.ts';
import { describeWindowedSearchContract } from './windowed-search-contract.ts';

describeWindowedSearchContract('chdb', () => openChdbForTest('windowed-search-chdb-'));
