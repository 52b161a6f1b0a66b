import { describeSavedObjectsContract } from './saved-objects-contract.ts';
import { openHttpForTest } from './transport-contract.ts';

describeSavedObjectsContract('ClickHouse HTTP', openHttpForTest);
