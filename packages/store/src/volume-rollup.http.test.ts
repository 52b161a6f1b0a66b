import { describeVolumeRollupContract } from './volume-rollup-contract.ts';
import { openHttpForTest } from './transport-contract.ts';

describeVolumeRollupContract('ClickHouse HTTP', openHttpForTest);
