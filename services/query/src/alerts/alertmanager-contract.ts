import { z } from 'zod';

// Alertmanager's API v2 (api/v2/openapi.yaml in prometheus/alertmanager): POST /api/v2/alerts takes
// `postableAlerts`, an array of `postableAlert`: `labels` (a LabelSet, string to string) required;
// `annotations` a LabelSet; `startsAt` and `endsAt` date-time; `generatorURL` a uri. Label names
// follow Prometheus's data model. Written here to check this service's payloads against, in tests.
const LabelSet = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());

/** Test support: Alertmanager's postableAlerts, strict about the fields it defines. */
export const PostableAlerts = z.array(
  z.strictObject({
    labels: LabelSet.refine((l) => Object.keys(l).length > 0, 'an alert needs at least one label'),
    annotations: LabelSet.optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    generatorURL: z.url().optional(),
  }),
);
