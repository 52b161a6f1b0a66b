import { z } from 'zod';
import { LOG_PIPELINE_RESOURCE, LogPipeline } from './log-pipeline.ts';

/** An OpenAPI v3 schema node as a CustomResourceDefinition carries it. */
export type JsonSchemaProps = { [key: string]: unknown };

/** The apiextensions.k8s.io/v1 CustomResourceDefinition fields this project sets. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: {
        name: string;
        type: string;
        jsonPath: string;
        description?: string;
        priority?: number;
      }[];
      schema: { openAPIV3Schema: JsonSchemaProps };
    }[];
  };
}

// The order kubectl explain and reviewers read best; unknown keys keep their place after these.
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'nullable',
  'required',
  'properties',
  'additionalProperties',
  'items',
];

/**
 * Rewrites zod's OpenAPI 3.0 output into a Kubernetes structural schema: every node typed, no `$schema`,
 * `additionalProperties: false` dropped (the API server prunes unknown fields instead), a nullable `anyOf`
 * folded into `nullable`, integer|string into `x-kubernetes-int-or-string`, object defaults spelled out
 * field by field. Throws, naming the path, on
 * what a structural schema cannot say. Pure.
 */
export function structuralSchema(node: JsonSchemaProps, path = ''): JsonSchemaProps {
  let out: JsonSchemaProps = { ...node };
  delete out.$schema;
  if (Array.isArray(out.anyOf) || Array.isArray(out.oneOf)) out = foldUnion(out, path);
  if (out.allOf !== undefined || out.not !== undefined || out.$ref !== undefined)
    throw unsupported(path, 'allOf, not or $ref');
  if (out.additionalProperties === false) delete out.additionalProperties;
  else if (out.additionalProperties === true || isEmptyObject(out.additionalProperties)) {
    delete out.additionalProperties;
    out['x-kubernetes-preserve-unknown-fields'] = true;
  } else if (isObject(out.additionalProperties)) {
    out.additionalProperties = structuralSchema(out.additionalProperties, `${path}[*]`);
  }
  // zod adds its own RFC 3339 pattern; the API server checks format: date-time itself.
  if (out.format === 'date-time') delete out.pattern;
  out = withoutSafeIntegerBounds(out);
  if (isObject(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, structuralSchema(v as JsonSchemaProps, `${path}.${k}`)]),
    );
  }
  if (isObject(out.items)) out.items = structuralSchema(out.items, `${path}[]`);
  if (out.default !== undefined) out.default = withFieldDefaults(out, out.default);
  if (
    out.type === undefined &&
    out['x-kubernetes-int-or-string'] !== true &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    throw unsupported(path, 'a node without a type');
  }
  return ordered(out);
}

// The API server checks a default against the node's CEL rules as written, without defaulting inside it
// first, so `default: {}` fails a rule like `self.minReplicas <= self.maxReplicas`: spell the fields out.
function withFieldDefaults(node: JsonSchemaProps, value: unknown): unknown {
  if (!isObject(value) || !isObject(node.properties)) return value;
  const filled: JsonSchemaProps = { ...value };
  for (const [key, prop] of Object.entries(node.properties as Record<string, JsonSchemaProps>)) {
    if (filled[key] !== undefined) filled[key] = withFieldDefaults(prop, filled[key]);
    else if (prop.default !== undefined) filled[key] = prop.default; // already filled: children are rewritten first
  }
  return filled;
}

function foldUnion(node: JsonSchemaProps, path: string): JsonSchemaProps {
  const { anyOf, oneOf, ...rest } = node;
  const branches = (anyOf ?? oneOf) as JsonSchemaProps[];
  const nonNull = branches.filter((b) => b.type !== 'null' && !(b.nullable === true && b.type === undefined));
  const nullable =
    nonNull.length < branches.length || branches.some((b) => b.nullable === true) || rest.nullable === true;
  const types = new Set(nonNull.map((b) => b.type));
  if (nonNull.length === 1) return { ...rest, ...nonNull[0], ...(nullable ? { nullable: true } : {}) };
  if (nonNull.length === 2 && types.has('integer') && types.has('string')) {
    const props = Object.assign(
      {},
      ...nonNull.map(withoutSafeIntegerBounds).map(({ type: _, ...p }) => p),
    ) as JsonSchemaProps;
    return { ...rest, ...props, 'x-kubernetes-int-or-string': true, ...(nullable ? { nullable: true } : {}) };
  }
  throw unsupported(
    path,
    `a union of ${[...types].join(', ')}; use optional fields and an x-kubernetes-validations rule`,
  );
}

// zod bounds every int by JavaScript's safe-integer range; Kubernetes' int64 needs no such bound.
function withoutSafeIntegerBounds(node: JsonSchemaProps): JsonSchemaProps {
  if (node.type !== 'integer') return node;
  const out = { ...node };
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
  return out;
}

function ordered(node: JsonSchemaProps): JsonSchemaProps {
  const keys = Object.keys(node).sort((a, b) => rank(a) - rank(b));
  return Object.fromEntries(keys.map((k) => [k, node[k]]));
}

function rank(key: string): number {
  const i = KEY_ORDER.indexOf(key);
  return i >= 0 ? i : key.startsWith('x-kubernetes-') ? KEY_ORDER.length + 1 : KEY_ORDER.length;
}

function unsupported(path: string, what: string): Error {
  return new Error(`Cannot express ${path || 'the root'} in a Kubernetes structural schema: ${what}`);
}

function isObject(v: unknown): v is JsonSchemaProps {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmptyObject(v: unknown): boolean {
  return isObject(v) && Object.keys(v).length === 0;
}

/** The LogPipeline CustomResourceDefinition, generated from the zod schema (the input side: defaults optional). Pure. */
export function logPipelineCrd(): CustomResourceDefinition {
  const r = LOG_PIPELINE_RESOURCE;
  const generated = structuralSchema(
    z.toJSONSchema(LogPipeline, { io: 'input', target: 'openapi-3.0' }) as JsonSchemaProps,
  );
  const properties = generated.properties as Record<string, JsonSchemaProps>;
  const openAPIV3Schema = ordered({
    ...generated,
    required: ['spec'],
    // The API server owns these three: a CRD may not constrain metadata beyond name, nor type apiVersion/kind itself.
    properties: {
      apiVersion: { description: 'Versioned schema of this representation of an object.', type: 'string' },
      kind: { description: 'REST resource this object represents.', type: 'string' },
      // Declared so the root rule's fieldPath can name metadata.name.
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: properties.spec,
      status: properties.status,
    },
  });
  const ready = '.status.conditions[?(@.type=="Ready")]';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${r.plural}.${r.group}`, labels: { 'app.kubernetes.io/part-of': 'instant-logs' } },
    spec: {
      group: r.group,
      names: {
        kind: r.kind,
        listKind: r.listKind,
        plural: r.plural,
        singular: r.singular,
        shortNames: [...r.shortNames],
        categories: ['instant-logs'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: r.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: 'Ready',
              type: 'string',
              jsonPath: `${ready}.status`,
              description: 'Whether the whole pipeline is ready.',
            },
            {
              name: 'Kafka Topic',
              type: 'string',
              jsonPath: '.status.topics.logs',
              description: 'The logs topic in use.',
            },
            { name: 'ClickHouse', type: 'string', jsonPath: '.status.clickhouse', description: 'managed or external.' },
            {
              name: 'Reason',
              type: 'string',
              jsonPath: `${ready}.reason`,
              priority: 1,
              description: 'Why the pipeline is or is not ready.',
            },
            {
              name: 'Collector',
              type: 'string',
              jsonPath: '.status.endpoints.collector',
              priority: 1,
              description: 'Where clients send logs.',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
