import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, json } from './api-helpers.ts';

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
};

// Every route of the tenant API, as OpenAPI paths. A route added without a schema fails here.
const ROUTES: [string, string][] = [
  ['post', '/api/v1/sms'],
  ['post', '/api/v1/sms/bulk'],
  ['get', '/api/v1/sms'],
  ['get', '/api/v1/sms/{sid}'],
  ['post', '/api/v1/dlt/entities'],
  ['get', '/api/v1/dlt/entities'],
  ['get', '/api/v1/dlt/entities/{entityId}'],
  ['patch', '/api/v1/dlt/entities/{entityId}'],
  ['post', '/api/v1/dlt/entities/{entityId}/headers'],
  ['get', '/api/v1/dlt/entities/{entityId}/headers'],
  ['get', '/api/v1/dlt/entities/{entityId}/headers/{senderId}'],
  ['patch', '/api/v1/dlt/entities/{entityId}/headers/{senderId}'],
  ['post', '/api/v1/dlt/entities/{entityId}/whitelist'],
  ['get', '/api/v1/dlt/entities/{entityId}/whitelist'],
  ['delete', '/api/v1/dlt/entities/{entityId}/whitelist'],
  ['post', '/api/v1/dlt/templates'],
  ['get', '/api/v1/dlt/templates'],
  ['get', '/api/v1/dlt/templates/{templateId}'],
  ['patch', '/api/v1/dlt/templates/{templateId}'],
  ['put', '/api/v1/dnd/{number}'],
  ['get', '/api/v1/dnd/{number}'],
  ['delete', '/api/v1/dnd/{number}'],
  ['post', '/api/v1/dnd/consents'],
  ['get', '/api/v1/dnd/consents'],
  ['delete', '/api/v1/dnd/consents'],
  ['get', '/api/v1/account'],
  ['patch', '/api/v1/account'],
  ['get', '/api/v1/account/ledger'],
  ['post', '/api/v1/account/keys'],
  ['get', '/api/v1/account/keys'],
  ['delete', '/api/v1/account/keys/{id}'],
  ['post', '/api/v1/account/webhook-secret'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['post', '/api/v1/dlt/templates/import'],
  ['post', '/api/v1/dnd/import'],
  ['post', '/api/v1/dnd/consents/import'],
  ['get', '/api/v1/reports/sms/summary'],
  ['get', '/api/v1/reports/sms.csv'],
  ['post', '/v1/Accounts/{sid}/Sms/send'],
  ['post', '/v1/Accounts/{sid}/Sms/send.json'],
  ['post', '/v1/Accounts/{sid}/Sms/bulksend'],
  ['post', '/v1/Accounts/{sid}/Sms/bulksend.json'],
  ['get', '/v1/Accounts/{sid}/SMS/Messages/{smsSid}'],
];

describeApi('OpenAPI document', (fx) => {
  it('lists every route with its schemas, and nothing undocumented', async () => {
    const res = await fx().app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = json<OpenApi>(res);
    assert.equal(doc.openapi, '3.1.0');

    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'head')
        .map((m) => `${m} ${path}`),
    );
    assert.deepEqual(listed.sort(), ROUTES.map(([m, p]) => `${m} ${p}`).sort());

    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]![method]!;
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      assert.ok(success.length > 0, `${method} ${path} documents a success response`);
      for (const status of success.filter((s) => s !== '204')) {
        // JSON, or the CSV of a report.
        const content = op.responses[status]!.content;
        assert.ok(
          content?.['application/json']?.schema ?? content?.['text/csv']?.schema,
          `${method} ${path} ${status} schema`,
        );
      }
      if (path.startsWith('/api/v1')) {
        assert.ok(op.responses['4XX'] ?? op.responses['4xx'], `${method} ${path} documents errors`);
      }
      for (const param of path.match(/\{(\w+)\}/g) ?? []) {
        const name = param.slice(1, -1);
        assert.ok(
          op.parameters?.some((p) => p.in === 'path' && p.name === name),
          `${method} ${path} ${name}`,
        );
      }
      if (['post', 'put', 'patch'].includes(method) && !path.endsWith('/webhook-secret')) {
        // JSON, or a file upload (text/csv, multipart/form-data).
        const body = op.requestBody?.content;
        assert.ok(
          body?.['application/json']?.schema ?? body?.['text/csv']?.schema,
          `${method} ${path} body`,
        );
      }
    }
    const send = doc.paths['/api/v1/sms']!.post!;
    assert.ok(send.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'));
    const list = doc.paths['/api/v1/sms']!.get!;
    const query = (list.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => p.name)
      .sort();
    assert.deepEqual(query, [
      'callSid',
      'cursor',
      'flowId',
      'from',
      'limit',
      'since',
      'smsType',
      'status',
      'templateId',
      'to',
      'until',
    ]);
    assert.deepEqual(doc.paths['/healthz']!.get!.security, []);
    assert.ok((doc.components.securitySchemes as Record<string, unknown>).basicAuth);
  });

  it('serves Swagger UI at /api/docs', async () => {
    const res = await fx().app.inject({ method: 'GET', url: '/api/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });
});

describeApi('health', (fx) => {
  it('answers /healthz and /readyz', async () => {
    const health = await fx().app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(json(health), { status: 'ok' });
    const ready = await fx().app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(json(ready).ready, true);
    assert.deepEqual(json(ready).carriers, []);
  });
});

let carriersUp = false;
describeApi(
  'readiness with carriers',
  (fx) => {
    it('is 503 while no carrier bind is up, 200 once one is', async () => {
      carriersUp = false;
      const down = await fx().app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(json(down).carriers, [{ name: 'sim', state: 'connecting', ready: false }]);
      assert.equal((json(down).store as { ok: boolean }).ok, true);
      carriersUp = true;
      const up = await fx().app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(up.statusCode, 200);
      assert.equal(json(up).ready, true);
    });
  },
  {
    readiness: async () => ({
      ready: carriersUp,
      carriers: [{ name: 'sim', state: carriersUp ? 'bound' : 'connecting', ready: carriersUp }],
    }),
  },
);
