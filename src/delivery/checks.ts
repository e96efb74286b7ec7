/**
 * The worker's compliance checks, in this order, each refusal a reason code: the number, the
 * DLT registry (entity, header, template, link, approval, category, content), DND and consent
 * scrubbing, the promotional window. The balance comes last, as the debit itself (worker.ts).
 *
 * Scrubbing (../shared/reference/telecom-india.md, section A) follows the template's category:
 * - transactional and service-implicit: never scrubbed (delivered to DND numbers, all day);
 * - promotional and service-explicit: a fully blocked number (preference 0) is refused even with
 *   consent; otherwise a valid consent record lets the message through; otherwise a partial
 *   preference blocks it when it names the template's NCPR category (`ncprCategory`), or — when
 *   the template's category is unknown — any partial preference blocks it (strict default);
 * - promotional (template or SMS type) only: the promotional window.
 *
 * Registry and account look-ups are cached for `registryCacheMs` (a change is seen within that).
 */

import { checkRegistry, matchTemplate } from '../dlt/index.ts';
import type { ReasonCode } from '../errors.ts';
import { inspectSms, parseRecipient } from '../sms/index.ts';
import type {
  Account,
  DltEntityRecord,
  DltHeaderRecord,
  DltTemplateRecord,
  Message,
  Store,
  WhitelistEntry,
} from '../store/types.ts';
import {
  type DeliveryConfig,
  type PromotionalConfig,
  promoWindowOf,
  type SmsSettings,
} from './config.ts';
import { promoWindowState } from './promo-window.ts';

export type CheckOutcome =
  | {
      ok: true;
      /** The recipient in E.164, as the carrier gets it. */
      to: string;
      parts: string[];
      encoding: 'GSM-7' | 'UCS-2';
      /** segments × the account's rate for the message's SMS type. */
      pricePaise: number;
    }
  | { ok: false; code: ReasonCode; detail: string }
  /** Outside the promotional window: come back when it opens. */
  | { ok: 'wait'; until: Date; code: 'OUTSIDE_PROMO_WINDOW'; detail: string };

const refuse = (code: ReasonCode, detail: string) => ({ ok: false, code, detail }) as const;

/** A short-lived cache of look-ups; concurrent look-ups of one key share one query. */
function lookupCache(ttlMs: number, now: () => number) {
  const entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>();
  return <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = entries.get(key);
    const t = now();
    if (hit && hit.expiresAt > t) return hit.value as Promise<T>;
    if (entries.size > 10_000) entries.clear();
    const value = load();
    entries.set(key, { value, expiresAt: t + ttlMs });
    value.catch(() => entries.delete(key));
    return value;
  };
}

export interface Checks {
  check(m: Message, now: Date): Promise<CheckOutcome>;
  /** Number and content only, for a message already checked and paid (a resubmission). */
  prepare(m: Message): CheckOutcome;
}

export function createChecks(deps: {
  store: Store;
  config: DeliveryConfig;
  promotional: PromotionalConfig;
  sms: SmsSettings;
  now: () => number;
}): Checks {
  const { store, config, promotional, sms } = deps;
  const promoWindow = promoWindowOf(promotional);
  const cached = lookupCache(config.registryCacheMs, deps.now);
  const account = (sid: string) =>
    cached<Account | undefined>(`a\n${sid}`, () => store.accounts.get(sid));
  const entity = (a: string, e: string) =>
    cached<DltEntityRecord | undefined>(`e\n${a}\n${e}`, () => store.dlt.getEntity(a, e));
  const header = (a: string, e: string, s: string) =>
    cached<DltHeaderRecord | undefined>(`h\n${a}\n${e}\n${s}`, () => store.dlt.getHeader(a, e, s));
  const template = (a: string, t: string) =>
    cached<DltTemplateRecord | undefined>(`t\n${a}\n${t}`, () => store.dlt.getTemplate(a, t));
  const whitelist = (a: string, e: string) =>
    cached<WhitelistEntry[]>(`w\n${a}\n${e}`, () => store.dlt.listWhitelist(a, e));

  function prepare(m: Message): CheckOutcome {
    const recipient = parseRecipient(m.to, config.defaultRegion);
    // A valid number of an unknown type (canReceiveSms false) goes on: the carrier decides.
    if (!recipient.ok) return refuse(recipient.code, recipient.message);
    const { parts, encoding } = inspectSms(m.body, sms);
    return { ok: true, to: recipient.e164, parts, encoding, pricePaise: 0 };
  }

  async function dlt(
    m: Message,
  ): Promise<{ ok: false; code: ReasonCode; detail: string } | DltTemplateRecord> {
    const a = m.accountSid;
    // The look-ups are cached promises: awaited one after the other, they cost less than Promise.all.
    const records = {
      entity: await entity(a, m.dltEntityId),
      header: await header(a, m.dltEntityId, m.senderId),
      template: await template(a, m.dltTemplateId),
    };
    const registry = checkRegistry(m, records, { states: true });
    if (!registry.ok) return refuse(registry.code, registry.message);
    const t = registry.template;
    const listed = await whitelist(a, t.entityId);
    const result = matchTemplate(t.content, m.body, {
      whitelist: {
        urls: listed.filter((w) => w.kind === 'url').map((w) => w.value),
        callbackNumbers: listed.filter((w) => w.kind === 'cbn').map((w) => w.value),
      },
    });
    if (!result.match) {
      return refuse(
        result.code,
        `at ${result.at}: expected ${JSON.stringify(result.expected)}, found ${JSON.stringify(result.found)}`,
      );
    }
    return t;
  }

  async function scrub(m: Message, t: DltTemplateRecord, to: string, now: Date) {
    if (t.category !== 'promotional' && t.category !== 'service-explicit') return null;
    const dnd = await store.dnd.get(m.accountSid, to);
    const prefs = dnd?.preferences ?? [];
    if (prefs.length === 0) return null;
    if (prefs.includes(0))
      return refuse('DND_BLOCKED', `${to} has blocked all commercial messages.`);
    if (await store.dnd.findConsent(m.accountSid, to, t.entityId, t.templateId, now)) return null;
    const category = t.ncprCategory ?? null;
    if (category === null) {
      return refuse(
        'DND_BLOCKED',
        `${to} has blocked categories ${prefs.join(', ')} and template ${t.templateId} has no NCPR category.`,
      );
    }
    if (prefs.includes(category)) {
      return refuse('DND_BLOCKED', `${to} has blocked NCPR category ${category}.`);
    }
    return null;
  }

  return {
    prepare,
    async check(m, now) {
      const number = prepare(m);
      if (number.ok !== true) return number;
      const t = await dlt(m);
      if ('ok' in t) return t;
      const blocked = await scrub(m, t, number.to, now);
      if (blocked) return blocked;
      if (t.category === 'promotional' || m.smsType === 'promotional') {
        const w = promoWindowState(now, promoWindow);
        if (!w.open) {
          const detail = `Promotional messages go out ${promoWindow.start}-${promoWindow.end} ${promoWindow.timeZone}.`;
          if (promotional.outsideWindow === 'fail') return refuse('OUTSIDE_PROMO_WINDOW', detail);
          return { ok: 'wait', until: w.opensAt, code: 'OUTSIDE_PROMO_WINDOW', detail };
        }
      }
      const acct = await account(m.accountSid);
      if (!acct) return refuse('NOT_FOUND', `No account ${m.accountSid}.`);
      return { ...number, pricePaise: m.segments * acct.rates[m.smsType] };
    },
  };
}
