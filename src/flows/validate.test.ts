import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FlowDocument } from './types.ts';
import { type FlowIssue, validateFlow } from './validate.ts';

const SMS = {
  to: { kind: 'caller' },
  senderId: 'ACMECO',
  body: 'We missed your call. We will call back soon.',
  dltTemplateId: '1107166000000000001',
  dltEntityId: '1101166000000000001',
  smsType: 'transactional',
};

/** The ARCHITECTURE.md example, completed. */
const missedCall = (): FlowDocument => ({
  name: 'Missed call alert',
  start: 'welcome',
  applets: {
    welcome: {
      type: 'greeting',
      config: { text: 'Thanks for calling Acme.' },
      next: { default: 'agent' },
    },
    agent: {
      type: 'connect',
      config: { numbers: ['+919812345678'], ringSeconds: 20 },
      next: { completed: 'thanks', 'no-answer': 'missed', busy: 'missed', failed: 'missed' },
    },
    missed: { type: 'sms', config: { ...SMS }, next: { default: 'bye' } },
    thanks: {
      type: 'sms',
      config: {
        ...SMS,
        body: 'Thanks for contacting us. Ref: {CallSid}',
        dltTemplateId: '1107166000000000002',
      },
      next: { default: 'bye' },
    },
    bye: { type: 'hangup', config: {} },
  },
  layout: { welcome: { x: 0, y: 0 } },
});

const codes = (issues: FlowIssue[]) => issues.map((i) => [i.code, i.appletId]);

describe('validateFlow', () => {
  test('accepts the ARCHITECTURE.md example', () => {
    const result = validateFlow(missedCall());
    assert.deepEqual(result, { ok: true, errors: [], warnings: [] });
  });

  test('FLOW_INVALID: not a flow document', () => {
    for (const doc of [
      null,
      'flow',
      [],
      { applets: {} },
      { start: 'a', applets: { a: { config: {} } } },
    ]) {
      const result = validateFlow(doc);
      assert.equal(result.ok, false);
      assert.ok(result.errors.length > 0);
      assert.ok(
        result.errors.every((e) => e.code === 'FLOW_INVALID'),
        JSON.stringify(result.errors),
      );
    }
    const noType = validateFlow({ start: 'a', applets: { a: { config: {} } } });
    assert.equal(noType.errors[0]!.path, '/applets/a');
    assert.match(noType.errors[0]!.message, /missing type/);
  });

  test('FLOW_INVALID: a start that does not exist, no applets, an applet ID with a dot', () => {
    const flow = missedCall();
    flow.start = 'nowhere';
    assert.deepEqual(validateFlow(flow).errors[0], {
      code: 'FLOW_INVALID',
      path: '/start',
      message: 'start applet "nowhere" does not exist',
    });
    assert.equal(
      validateFlow({ start: 'a', applets: {} }).errors[0]!.message,
      'the flow has no applets',
    );
    const dotted = validateFlow({ start: 'a.b', applets: { 'a.b': { type: 'hangup' } } });
    assert.deepEqual(codes(dotted.errors), [['FLOW_INVALID', 'a.b']]);
  });

  test('FLOW_UNKNOWN_APPLET_TYPE: an unknown type, or a version this callflow does not have', () => {
    const flow = missedCall();
    flow.applets.welcome!.type = 'voicemail';
    assert.deepEqual(codes(validateFlow(flow).errors), [['FLOW_UNKNOWN_APPLET_TYPE', 'welcome']]);
    const later = missedCall();
    later.applets.bye!.version = 2;
    const result = validateFlow(later);
    assert.deepEqual(codes(result.errors), [['FLOW_UNKNOWN_APPLET_TYPE', 'bye']]);
    assert.match(result.errors[0]!.message, /version 2/);
  });

  test('FLOW_INVALID_CONFIG: an SMS applet without each required field', () => {
    for (const field of ['to', 'senderId', 'body', 'dltTemplateId', 'dltEntityId']) {
      const flow = missedCall();
      delete (flow.applets.missed!.config as Record<string, unknown>)[field];
      const result = validateFlow(flow);
      assert.equal(result.ok, false, field);
      assert.deepEqual(codes(result.errors), [['FLOW_INVALID_CONFIG', 'missed']], field);
      assert.equal(result.errors[0]!.path, '/applets/missed/config');
      assert.match(result.errors[0]!.message, new RegExp(`missing ${field}`));
    }
  });

  test('FLOW_INVALID_CONFIG: wrong values, explained by the branch of a union that applies', () => {
    const flow = missedCall();
    Object.assign(flow.applets.missed!.config as object, {
      dltTemplateId: 'TEMPLATE-1',
      to: { kind: 'custom' },
    });
    const result = validateFlow(flow);
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.path]),
      [
        ['FLOW_INVALID_CONFIG', '/applets/missed/config/to'],
        ['FLOW_INVALID_CONFIG', '/applets/missed/config/dltTemplateId'],
      ],
    );
    assert.match(result.errors[0]!.message, /missing number in to/);
    const greeting = missedCall();
    greeting.applets.welcome!.config = {};
    const g = validateFlow(greeting).errors;
    assert.equal(g.length, 1);
    assert.match(g[0]!.message, /matches none of its allowed forms: Either a text/);
    const extra = missedCall();
    extra.applets.bye!.config = { reason: 'done' };
    assert.match(validateFlow(extra).errors[0]!.message, /reason is not a known field/);
  });

  test('FLOW_INVALID_CONFIG: an IVR menu offering the same key twice', () => {
    const flow: FlowDocument = {
      start: 'menu',
      applets: {
        menu: {
          type: 'ivr',
          config: {
            mode: 'menu',
            prompt: { text: 'Press 1' },
            options: [{ digit: '1' }, { digit: '1' }],
          },
          next: { '1': 'bye', timeout: 'bye', invalid: 'bye' },
        },
        bye: { type: 'hangup' },
      },
    };
    const result = validateFlow(flow);
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.exit]),
      [['FLOW_INVALID_CONFIG', '1']],
    );
  });

  test('FLOW_DANGLING_EXIT: not connected, pointing nowhere, or an exit the applet does not have', () => {
    const flow = missedCall();
    delete flow.applets.agent!.next!.busy;
    flow.applets.agent!.next!.failed = 'voicemail';
    flow.applets.welcome!.next!.timeout = 'bye';
    const result = validateFlow(flow);
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.appletId, e.exit, e.path]),
      [
        ['FLOW_DANGLING_EXIT', 'welcome', 'timeout', '/applets/welcome/next/timeout'],
        ['FLOW_DANGLING_EXIT', 'agent', 'busy', '/applets/agent/next'],
        ['FLOW_DANGLING_EXIT', 'agent', 'failed', '/applets/agent/next/failed'],
      ],
    );
    assert.equal(
      result.errors[2]!.message,
      'exit "failed" of "agent" points to "voicemail", which does not exist',
    );
  });

  test('FLOW_UNKNOWN_VARIABLE: {Digits} with no IVR before it', () => {
    const flow = missedCall();
    (flow.applets.missed!.config as { body: string }).body = 'You pressed {Digits}.';
    const result = validateFlow(flow);
    assert.deepEqual(codes(result.errors), [['FLOW_UNKNOWN_VARIABLE', 'missed']]);
    assert.match(result.errors[0]!.message, /\{Digits\}/);
  });

  test('variables produced before the applet: IVR digits, Passthru fields, on at least one path', () => {
    const flow: FlowDocument = {
      start: 'menu',
      applets: {
        menu: {
          type: 'ivr',
          config: { mode: 'gather', prompt: { text: 'Enter your booking number' } },
          next: { default: 'book', timeout: 'sms' },
        },
        book: {
          type: 'passthru',
          config: { url: 'https://example.com/book' },
          next: { success: 'sms', failure: 'sms' },
        },
        sms: {
          type: 'sms',
          config: {
            ...SMS,
            to: { kind: 'dynamic', from: 'book.phone' },
            body: 'Booking {Digits} confirmed for {book.slot} ({CallSid}, {DateTime}).',
          },
          next: { default: 'bye' },
        },
        bye: { type: 'hangup' },
      },
    };
    assert.deepEqual(validateFlow(flow).errors, []);
  });

  test('FLOW_UNKNOWN_VARIABLE: fields of an async Passthru, of a later Passthru, or a dynamic recipient from nowhere', () => {
    const flow: FlowDocument = {
      start: 'log',
      applets: {
        log: {
          type: 'passthru',
          config: { url: 'https://example.com/log', mode: 'async' },
          next: { default: 'sms' },
        },
        sms: {
          type: 'sms',
          config: {
            ...SMS,
            to: { kind: 'dynamic', from: 'crm.mobile' },
            body: 'Hello {log.name}, {crm.name}',
          },
          next: { default: 'crm' },
        },
        crm: {
          type: 'passthru',
          config: { url: 'https://example.com/crm' },
          next: { success: 'bye', failure: 'bye' },
        },
        bye: { type: 'hangup' },
      },
    };
    const result = validateFlow(flow);
    assert.deepEqual(
      result.errors.map((e) => e.message),
      [
        '"sms" uses {log.name}, which no applet before it can produce',
        '"sms" uses {crm.name}, which no applet before it can produce',
        '"sms" uses {crm.mobile}, which no applet before it can produce',
      ],
    );
  });

  test('a variable produced later in a loop is available on the way round', () => {
    const flow: FlowDocument = {
      start: 'menu',
      applets: {
        menu: {
          type: 'ivr',
          config: {
            mode: 'menu',
            prompt: { text: 'Press 1 to hear your choice' },
            options: [{ digit: '1' }],
          },
          next: { '1': 'sms', timeout: 'bye', invalid: 'bye' },
        },
        sms: {
          type: 'sms',
          config: { ...SMS, body: 'You chose {Digits}' },
          next: { default: 'menu' },
        },
        bye: { type: 'hangup' },
      },
    };
    assert.equal(validateFlow(flow).ok, true);
  });

  test('FLOW_UNREACHABLE_APPLET is a warning, not an error', () => {
    const flow = missedCall();
    flow.applets.orphan = {
      type: 'greeting',
      config: { text: 'Nobody hears this' },
      next: { default: 'bye' },
    };
    const result = validateFlow(flow);
    assert.equal(result.ok, true);
    assert.deepEqual(codes(result.warnings), [['FLOW_UNREACHABLE_APPLET', 'orphan']]);
  });

  describe('DLT templates', () => {
    const templates: Record<string, string> = {
      '1107166000000000001': 'We missed your call. We will call back soon.',
      '1107166000000000002': 'Thanks for contacting us. Ref: {#alphanumeric#}',
      '1107166000000000003': 'Thanks for contacting us. Ref: {#var#}',
    };
    const lookup = (entityId: string, templateId: string) =>
      entityId === SMS.dltEntityId ? templates[templateId] : undefined;

    test('bodies that can match their templates pass', () => {
      assert.deepEqual(validateFlow(missedCall(), { templates: lookup }).errors, []);
    });

    test('FLOW_TEMPLATE_NEVER_MATCHES: fixed text that departs from the template', () => {
      const flow = missedCall();
      (flow.applets.thanks!.config as { body: string }).body =
        'Thank you for contacting us. Ref: {CallSid}';
      const result = validateFlow(flow, { templates: lookup });
      assert.deepEqual(codes(result.errors), [['FLOW_TEMPLATE_NEVER_MATCHES', 'thanks']]);
      assert.equal(result.errors[0]!.path, '/applets/thanks/config/body');
    });

    test('a {CallSid} (16 characters) fits a {#var#} (at most 30)', () => {
      const flow = missedCall();
      (flow.applets.thanks!.config as { dltTemplateId: string }).dltTemplateId =
        '1107166000000000003';
      assert.deepEqual(validateFlow(flow, { templates: lookup }).errors, []);
    });

    test('FLOW_TEMPLATE_NEVER_MATCHES: two {CallSid}s (32 characters) in a {#var#} (at most 30)', () => {
      const flow = missedCall();
      const config = flow.applets.thanks!.config as { dltTemplateId: string; body: string };
      config.dltTemplateId = '1107166000000000003';
      config.body = 'Thanks for contacting us. Ref: {CallSid}{CallSid}';
      const result = validateFlow(flow, { templates: lookup });
      assert.deepEqual(codes(result.errors), [['FLOW_TEMPLATE_NEVER_MATCHES', 'thanks']]);
      assert.match(result.errors[0]!.message, /CallSid/);
    });

    test('a template the account has not registered is a warning', () => {
      const flow = missedCall();
      (flow.applets.thanks!.config as { dltTemplateId: string }).dltTemplateId =
        '1107166000000000099';
      const result = validateFlow(flow, { templates: lookup });
      assert.equal(result.ok, true);
      assert.deepEqual(codes(result.warnings), [['DLT_TEMPLATE_NOT_FOUND', 'thanks']]);
    });
  });
});

describe('validateFlow: Connect agents', () => {
  const withAgents = (numbers: string[], extra: object = {}): FlowDocument => {
    const flow = missedCall();
    flow.applets.agent!.config = { numbers, ringSeconds: 20, ...extra };
    return flow;
  };

  test('accepts numbers, SIP URIs and softphone users, a trunk and record', () => {
    const result = validateFlow(
      withAgents(
        [
          '+919812345678',
          'sip:alice@10.0.0.5',
          'sip:desk-2@pbx.example.com:5080;transport=tcp',
          'user:alice',
        ],
        { trunk: 'airtel', record: true },
      ),
    );
    assert.deepEqual(result.errors, []);
  });

  test('refuses agents that are none of the three forms', () => {
    for (const agent of [
      '9812345678',
      'tel:+919812345678',
      'sip:alice@10.0.0.5;maddr=203.0.113.9',
      'sip:alice@10.0.0.5?X-Forward=1',
      'sips:alice@10.0.0.5',
      'sip:10.0.0.5',
      'user:',
      'user:alice bob',
    ]) {
      const errors = validateFlow(withAgents([agent])).errors;
      assert.ok(
        errors.some((e) => e.appletId === 'agent'),
        `${agent} should be refused: ${JSON.stringify(errors)}`,
      );
    }
  });
});
