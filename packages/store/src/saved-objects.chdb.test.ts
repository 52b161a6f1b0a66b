import { describeSavedObjectsContract } from './saved-objects-contract.ts';
import { openChdbForTest } from './transport-contract.ts';

describeSavedObjectsContract('chdb', () => openChdbForTest('saved-objects-chdb-'));
