export { desired, componentNames, type ComponentNames } from './desired.ts';
export { FIELD_MANAGER, PORTS, type DesiredContext } from './context.ts';
export { PIPELINE_LABEL, CONFIG_HASH_ANNOTATION, TENANTS_HASH_ANNOTATION } from './labels.ts';
export { schemeOf } from './tls.ts';
export { namesOf, type Names } from './names.ts';
export { MANAGED_USER, MANAGED_DATABASE } from './clickhouse.ts';
export { SETUP_COMMAND, setupJobName } from './setup.ts';
