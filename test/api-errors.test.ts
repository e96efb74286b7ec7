import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FastifyPluginAsync } from 'fastify';
import { CallflowError } from '../src/errors.ts';
import { describeApi, json } from './api-helpers.ts';

const boom: FastifyPluginAsync = async (app) => {
  app.get('/test/boom', async () => {
    throw new Error('connection to 10.0.0.7:5432 refused; password=hunter2');
  });
  app.get('/test/refusal', async () => {
    throw new CallflowError('INSUFFICIENT_BALANCE', 'Balance too low.', { balancePaise: 3 });
  });
  app.get('/test/inactive', async () => {
    throw new CallflowError('DLT_ENTITY_INACTIVE');
  });
};

describeApi(
  'error handling',
  (fx) => {
    it('answers an unexpected error with 500 INTERNAL_ERROR and no internals', async () => {
      const res = await fx().app.inject({ method: 'GET', url: '/test/boom' });
      assert.equal(res.statusCode, 500);
      const body = json(res);
      assert.equal(body.code, 'INTERNAL_ERROR');
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
      assert.doesNotMatch(res.body, /hunter2|10\.0\.0\.7|at .*\.ts|stack/);
    });

    it('answers a CallflowError with its catalogue status, code, message and details', async () => {
      const res = await fx().app.inject({ method: 'GET', url: '/test/refusal' });
      assert.equal(res.statusCode, 402);
      assert.deepEqual(json(res), {
        code: 'INSUFFICIENT_BALANCE',
        message: 'Balance too low.',
        details: { balancePaise: 3 },
      });
      const inactive = await fx().app.inject({ method: 'GET', url: '/test/inactive' });
      assert.equal(
        inactive.statusCode,
        400,
        'a refusal without an HTTP status of its own is a 400',
      );
      assert.equal(json(inactive).code, 'DLT_ENTITY_INACTIVE');
    });

    it('answers unknown routes and methods with 404 NOT_FOUND', async () => {
      for (const [method, url] of [
        ['GET', '/nope'],
        ['DELETE', '/api/v1/account'],
      ] as const) {
        const res = await fx().call({ method, url });
        assert.equal(res.statusCode, 404, url);
        assert.equal(json(res).code, 'NOT_FOUND');
      }
    });

    it('answers an empty JSON body with 400 MALFORMED_REQUEST', async () => {
      const res = await fx().call({
        method: 'POST',
        url: '/api/v1/sms',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(json(res).code, 'MALFORMED_REQUEST');
    });
  },
  { extraRoutes: [boom] },
);
