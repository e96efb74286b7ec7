import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRouter, type Route, type RoutedMessage, routingProblems } from './routing.ts';

const otp: RoutedMessage = {
  smsType: 'transactional',
  to: '+919812345678',
  accountSid: 'AC1',
  senderId: 'ACMECO',
};

const routes: Route[] = [
  { name: 'otp', match: { smsType: ['transactional'] }, carriers: ['a', 'b'] },
  { name: 'vi', match: { prefixes: ['+9198'], smsType: ['promotional'] }, carriers: ['c'] },
  { name: 'acme', match: { accounts: ['AC2'], senderIds: ['ACMEPR'] }, carriers: ['b'] },
];

test('the first route whose match fits decides; every condition given must hold', () => {
  const router = createRouter(routes, () => []);
  assert.equal(router.routeFor(otp)?.name, 'otp');
  assert.equal(router.routeFor({ ...otp, smsType: 'promotional' })?.name, 'vi');
  assert.equal(router.routeFor({ ...otp, smsType: 'promotional', to: '+919712345678' }), undefined);
  assert.equal(
    router.routeFor({ ...otp, smsType: 'service', accountSid: 'AC2', senderId: 'ACMEPR' })?.name,
    'acme',
  );
  assert.equal(router.routeFor({ ...otp, smsType: 'service', accountSid: 'AC2' }), undefined);
});

test('without routes every carrier is tried in its order, including ones added later', () => {
  const names = ['a', 'b'];
  const router = createRouter([], () => names);
  assert.deepEqual(router.order(router.routeFor(otp)!), ['a', 'b']);
  names.push('c');
  assert.deepEqual(router.order(router.routeFor(otp)!), ['a', 'b', 'c']);
});

test('failover keeps the list order; round-robin turns the first carrier', () => {
  const router = createRouter([], () => []);
  const failover: Route = { name: 'f', carriers: ['a', 'b', 'c'] };
  assert.deepEqual(router.order(failover), ['a', 'b', 'c']);
  assert.deepEqual(router.order(failover), ['a', 'b', 'c']);
  const rr: Route = { name: 'r', carriers: ['a', 'b', 'c'], strategy: 'round-robin' };
  assert.deepEqual(
    [1, 2, 3, 4].map(() => router.order(rr)),
    [
      ['a', 'b', 'c'],
      ['b', 'a', 'c'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ],
  );
});

test('weighted splits exactly by the weights, interleaved, and a 0 weight is backup only', () => {
  const router = createRouter([], () => []);
  const route: Route = {
    name: 'w',
    carriers: ['a', 'b', 'c'],
    strategy: 'weighted',
    weights: [3, 1, 0],
  };
  const firsts = Array.from({ length: 8 }, () => router.order(route)[0]);
  assert.deepEqual(firsts.filter((c) => c === 'a').length, 6);
  assert.deepEqual(firsts.filter((c) => c === 'b').length, 2);
  // Smooth: never all of a's turns in one run.
  assert.deepEqual(firsts.slice(0, 4).sort(), ['a', 'a', 'a', 'b']);
  assert.ok(router.order(route).includes('c'));
});

test('a turn given back is taken again: the split counts only messages sent', () => {
  const router = createRouter([], () => []);
  const route: Route = { name: 'w', carriers: ['a', 'b'], strategy: 'weighted', weights: [3, 1] };
  const sent: string[] = [];
  for (let i = 0; i < 400; i++) {
    const first = router.order(route)[0]!;
    // Every other turn of a's is given back (a was busy), and taken again at once.
    if (first === 'a' && i % 2 === 0) router.unpick(route, first);
    else sent.push(first);
  }
  const a = sent.filter((c) => c === 'a').length;
  assert.ok(Math.abs(a / sent.length - 0.75) < 0.01, `${a} of ${sent.length}`);
  const rr: Route = { name: 'r', carriers: ['a', 'b'], strategy: 'round-robin' };
  assert.equal(router.order(rr)[0], 'a');
  router.unpick(rr, 'a');
  assert.equal(router.order(rr)[0], 'a');
});

test('a routing table is checked against the carriers it names', () => {
  assert.deepEqual(routingProblems(routes, ['a', 'b', 'c']), []);
  assert.deepEqual(routingProblems(routes, ['a', 'b']), ['route vi: no carrier named c']);
  assert.deepEqual(
    routingProblems(
      [
        { name: 'x', carriers: ['a', 'a'] },
        { name: 'x', carriers: ['a'], strategy: 'weighted', weights: [0] },
        { name: 'y', carriers: ['a', 'b'], strategy: 'weighted', weights: [1] },
        { name: 'z', carriers: ['a'], weights: [1] },
      ],
      ['a', 'b'],
    ),
    [
      'route x: a carrier is listed twice',
      'route x: the name is used twice',
      'route x: the weights are all 0',
      'route y: weighted needs one weight per carrier',
      'route z: weights are only for the weighted strategy',
    ],
  );
});
