import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipEndReason } from '../sip/dialog.ts';
import { type BrowserEndReason, BrowserLeg } from './leg.ts';

function handlers(ended: SipEndReason[]) {
  return {
    onEnded: (reason: SipEndReason) => ended.push(reason),
    onInfoKey: () => {},
    onReoffer: async () => '',
  };
}

describe('BrowserLeg', () => {
  it('has tags of its own per call', () => {
    const a = new BrowserLeg();
    const b = new BrowserLeg();
    assert.notEqual(a.callId, b.callId);
    assert.notEqual(a.callerTag, a.localTag);
    assert.match(a.callId, /^browser-[0-9a-f]{24}$/);
    assert.equal(a.state, 'offered');
    a.answered();
    assert.equal(a.state, 'confirmed');
  });

  it("the page's hang-up is the caller's hang-up, told once", () => {
    const leg = new BrowserLeg();
    const network: SipEndReason[] = [];
    const told: BrowserEndReason[] = [];
    leg.setHandlers(handlers(network));
    leg.onEnded((by) => told.push(by));
    leg.answered();
    leg.pageHangup();
    leg.pageHangup();
    void leg.bye();
    assert.deepEqual(network, ['caller-bye']);
    assert.deepEqual(told, ['page-hangup']);
    assert.equal(leg.state, 'ended');
  });

  it('our hang-up tells the page, not the call', async () => {
    const leg = new BrowserLeg();
    const network: SipEndReason[] = [];
    const told: BrowserEndReason[] = [];
    leg.setHandlers(handlers(network));
    leg.onEnded((by) => told.push(by));
    leg.answered();
    await leg.bye('our-bye');
    leg.pageHangup();
    assert.deepEqual(network, []);
    assert.deepEqual(told, ['our-hangup']);
  });

  it('a page that hangs up before the call is set up leaves the leg ended', () => {
    const leg = new BrowserLeg();
    leg.pageHangup();
    assert.equal(leg.state, 'ended');
  });
});
