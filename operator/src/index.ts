export { startOperator, type Operator, type OperatorOptions } from './operator.ts';
export { desired, componentNames, type DesiredContext } from './desired/index.ts';
export { reconcile, type ReconcileDeps, type ReconcileResult } from './reconcile.ts';
export { operatorRules, type PolicyRule } from './rbac.ts';
export { RESOURCES } from './kube/resources.ts';
