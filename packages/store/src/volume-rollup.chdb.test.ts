import { describeVolumeRollupContract } from './volume-rollup-contract.ts';
import { openChdbForTest } from './transport-contract.ts';

describeVolumeRollupContract('chdb', () => openChdbForTest('volume-rollup-chdb-'));
