export {
  LEVELS,
  LEVEL_SPELLINGS,
  levelFromText,
  levelFromSeverityNumber,
  levelFromPinoNumber,
  severityNumberOf,
  type Level,
} from './severity.ts';
export { parseTimestamp, formatTimestamp, nowNs, parseTimeExpression } from './time.ts';
export { flattenAttributes, type FlattenProblem } from './attributes.ts';
export { LIMITS } from './limits.ts';
export {
  arrayLines,
  parseQueuedLine,
  QUEUED_COLUMNS,
  queuedLine,
  queuedLineService,
  readableQueuedLine,
  type QueuedRecord,
} from './queued-line.ts';
export { newRecordId } from './record-id.ts';
export {
  LogRecord,
  LogRecordInput,
  normalizeRecord,
  normalizeRecordReference,
  type RecordError,
  type NormalizeContext,
  type NormalizeResult,
} from './log-record.ts';
export {
  ApiError,
  IngestResponse,
  LogFilterQuery,
  LogSearchQuery,
  LogPage,
  HistogramQuery,
  Histogram,
  FacetsQuery,
  Facets,
  PATTERN_SAMPLE,
  PatternsQuery,
  LogPattern,
  Patterns,
  TailQuery,
  TailMessage,
  TailTicket,
  ServiceUsage,
  Usage,
  DeleteRequest,
  DeleteResult,
} from './api.ts';
export {
  LOG_PIPELINE_RESOURCE,
  PipelineConditionType,
  PipelineCondition,
  LogPipelineSpec,
  LogPipelineStatus,
  LogPipeline,
  quantityValue,
  type LogPipelineSpecInput,
  type LogPipelineInput,
} from './log-pipeline.ts';
export { logPipelineCrd, structuralSchema, type CustomResourceDefinition, type JsonSchemaProps } from './crd.ts';
export { TenantPolicies, type TenantPolicy, policyFor, parseTenantPolicies, TENANT_NAME } from './tenants.ts';
export { API_ROUTES, apiRoute, type ApiRoute, type ApiAccess } from './api-routes.ts';
export { openApiDocument, renderOpenApi, responseSchemas } from './openapi.ts';
export {
  SavedName,
  SavedIdParams,
  SavedSearch,
  SavedViewInput,
  SavedView,
  SavedViewList,
  ALERT_STATES,
  AlertCondition,
  AlertWebhook,
  AlertRuleInput,
  AlertRuleStatus,
  AlertRule,
  AlertRuleList,
  AlertTransition,
  AlertHistory,
  type AlertState,
} from './saved-views.ts';
