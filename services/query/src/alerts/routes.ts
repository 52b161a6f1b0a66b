import type { FastifyInstance } from 'fastify';
import { AlertRuleInput, SavedIdParams } from '@instant-logs/schema';
import { stateKey, type AlertStore, type SavedObject, type SavedObjectStore } from '@instant-logs/store';
import { QUERY_ERRORS } from '../errors.ts';
import { parseParams } from '../filters.ts';
import { checkSearch, declared, newSavedId } from '../saved-views.ts';
import { ruleAnswer, ruleOf, stateOf } from './rules.ts';

const HISTORY_LIMIT = 200;

/** The alert rule API in the caller's tenant: list, create, get, replace, delete, history. */
export function registerAlertRoutes(
  app: FastifyInstance,
  deps: { saved: SavedObjectStore; alerts: AlertStore; clock: () => number },
): void {
  const { saved, alerts, clock } = deps;
  const find = async (tenant: string, rawParams: unknown) => {
    const { id } = parseParams(SavedIdParams, rawParams, 'id');
    const found = await saved.get(tenant, 'alert_rule', id);
    if (!found) throw QUERY_ERRORS.ALERT_NOT_FOUND({ id: JSON.stringify(id.slice(0, 64)), field: 'id' });
    return found;
  };
  const answer = async (tenant: string, o: SavedObject) => {
    const states = await alerts.states(tenant);
    return ruleAnswer(o, ruleOf(tenant, o)!, stateOf(states.get(stateKey(tenant, o.id))));
  };
  const save = async (tenant: string, rawBody: unknown, existing?: SavedObject) => {
    const { name, ...rule } = parseParams(AlertRuleInput, rawBody ?? {}, '(body)');
    const now = clock();
    checkSearch(rule, now);
    const object: SavedObject = {
      id: existing?.id ?? newSavedId(),
      name,
      body: JSON.stringify(rule),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await saved.put(tenant, 'alert_rule', object);
    return answer(tenant, object);
  };

  app.get('/api/v1/alerts', declared('GET', '/api/v1/alerts'), async (request) => {
    const [objects, states] = await Promise.all([
      saved.list(request.tenant, 'alert_rule'),
      alerts.states(request.tenant),
    ]);
    const rules = objects.flatMap((o) => {
      const rule = ruleOf(request.tenant, o);
      return rule ? [ruleAnswer(o, rule, stateOf(states.get(stateKey(request.tenant, o.id))))] : [];
    });
    return { rules };
  });
  app.post('/api/v1/alerts', declared('POST', '/api/v1/alerts', 'alerts.create'), async (request, reply) => {
    reply.status(201);
    return save(request.tenant, request.body);
  });
  app.get('/api/v1/alerts/:id', declared('GET', '/api/v1/alerts/:id'), async (request) =>
    answer(request.tenant, await find(request.tenant, request.params)),
  );
  app.put('/api/v1/alerts/:id', declared('PUT', '/api/v1/alerts/:id', 'alerts.update'), async (request) =>
    save(request.tenant, request.body, await find(request.tenant, request.params)),
  );
  app.delete(
    '/api/v1/alerts/:id',
    declared('DELETE', '/api/v1/alerts/:id', 'alerts.delete'),
    async (request, reply) => {
      const { id } = await find(request.tenant, request.params);
      await saved.remove(request.tenant, 'alert_rule', id);
      return reply.status(204).send();
    },
  );
  app.get('/api/v1/alerts/:id/history', declared('GET', '/api/v1/alerts/:id/history'), async (request) => {
    const { id } = await find(request.tenant, request.params);
    const transitions = await alerts.history(request.tenant, id, HISTORY_LIMIT);
    return { transitions: transitions.map((t) => ({ ...t, at: new Date(t.at).toISOString() })) };
  });
}
