import { describeTransportContract, openChdbForTest } from './transport-contract.ts';

describeTransportContract('chdb', () => openChdbForTest('chdb-contract-'));
