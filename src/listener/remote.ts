/** The listener's suite-side API, as checks in vitest workers reach it (see index.ts). */
import {
  type AnswerRule,
  type Delivery,
  type DeliveryJson,
  type DeliveryKind,
  fromJson,
  type HoldRule,
  type Release,
  type WaitQuery,
  type WaitResult,
} from './index.ts';

export interface ListenerClient {
  waitFor(query: WaitQuery): Promise<Delivery[]>;
  waitWithEvidence(query: WaitQuery): Promise<WaitResult>;
  /** Deliveries no wait asked for by key or marker, with no key the run expects. */
  unmatched(): Promise<Delivery[]>;
  /** Declares a key the run expects deliveries for. */
  expect(kind: DeliveryKind, key: string): Promise<void>;
  answer(rule: AnswerRule): Promise<void>;
  deliveries(): Promise<Delivery[]>;
  hold(rule: HoldRule): Promise<string>;
  release(release: Release): Promise<void>;
}

export function listenerClient(suiteUrl: string): ListenerClient {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${suiteUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`listener API ${path} answered ${res.status}`);
    return res.json() as Promise<{ deliveries?: DeliveryJson[]; evidence?: DeliveryJson[]; holdId?: string }>;
  };
  return {
    async waitFor(query) {
      return ((await post('/wait', query)).deliveries ?? []).map(fromJson);
    },
    async waitWithEvidence(query) {
      const r = await post('/wait', query);
      return { found: (r.deliveries ?? []).map(fromJson), evidence: (r.evidence ?? []).map(fromJson) };
    },
    async expect(kind, key) {
      await post('/expect', { kind, key });
    },
    async unmatched() {
      const res = await fetch(`${suiteUrl}/unmatched`);
      return (((await res.json()) as { deliveries: DeliveryJson[] }).deliveries ?? []).map(fromJson);
    },
    async answer(rule) {
      await post('/answer', rule);
    },
    async hold(rule) {
      return ((await post('/hold', rule)) as { holdId: string }).holdId;
    },
    async release(release) {
      await post('/release', release);
    },
    async deliveries() {
      const res = await fetch(`${suiteUrl}/deliveries`);
      return (((await res.json()) as { deliveries: DeliveryJson[] }).deliveries ?? []).map(fromJson);
    },
  };
}
