/**
 * A second gateway, as another vendor would build it: the reference simulator behind a front that has its
 * own MO test hook (form and JSON requests of its own shape, answered 202), its own profile names and
 * passwords, its own refusal codes where the document leaves the number open, its own short numbers and
 * delivery credentials, no SMTP AUTD, no traffic limit, and no control API (/__control answers 404).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LISTENER_PATHS } from '../../../src/listener/index.ts';
import { type ProfileConfig, startSimulator } from '../../../src/simulator/index.ts';
import { loadSpec } from '../../../src/spec/load.ts';
import { forward, type Message, readAll } from '../../http-proxy.ts';

/** The codes the document does not fix (status-codes.yaml, source project), renumbered by this vendor. */
export const VENDOR_CODES: Record<string, string> = {
  '401': '3',
  '402': '4',
  '405': '5',
  '408': '8',
  '413': '13',
  '415': '15',
  '429': '29',
  '500': '99',
};

export const VENDOR = {
  delivery: { userid: 'acme-dlv', pwd: 'acme-dlv-secret-7' },
  mo: { user: 'acme-mo', pwd: 'acme-mo-secret-7' },
  shortNumbers: { sms: '3355', mms: '3356', 'wap-wib': '3357' } as Record<string, string>,
  ussdShortCode: '555',
  billingCode: '4242',
};

export const vendorProfileId = (service: string) => `acme-${service.toLowerCase().replace(/_/g, '-')}`;

/** The vendor's provisioning: one profile per API service, one USSD profile, MO profiles with short numbers. */
export function vendorProfiles(deliverTo: string): ProfileConfig[] {
  const out: ProfileConfig[] = [];
  for (const s of loadSpec().services) {
    if (s.kind === 'api')
      out.push({
        id: vendorProfileId(s.id),
        service: s.id,
        password: `pw-${s.id.length}-${s.id.slice(0, 3).toLowerCase()}!`,
        ...(s.billingCode === 'required' ? { billingCode: VENDOR.billingCode } : {}),
        ...(s.direction === 'partner-to-mse'
          ? { delivery: { url: `${deliverTo}${LISTENER_PATHS.receipt}`, ...VENDOR.delivery } }
          : {}),
      });
    if (s.kind === 'mo-delivery') {
      const path =
        s.group === 'mms'
          ? LISTENER_PATHS['mms-mo']
          : s.group === 'sms'
            ? LISTENER_PATHS['sms-mo']
            : LISTENER_PATHS['wib-mo'];
      out.push({
        id: vendorProfileId(s.id),
        service: s.id,
        password: 'unused-mo',
        shortNumber: VENDOR.shortNumbers[s.group]!,
        mo: { url: `${deliverTo}${path}`, ...VENDOR.mo },
      });
    }
  }
  // One profile for every USSD command and event, as the document provisions USSD.
  out.push({
    id: 'acme-ussd',
    service: 'USSD_MENU',
    password: 'pw-ussd!',
    shortNumber: VENDOR.ussdShortCode,
    mo: { url: `${deliverTo}${LISTENER_PATHS['ussd-event']}`, ...VENDOR.mo },
  });
  return out;
}

export interface VendorGateway {
  url: string;
  close(): Promise<void>;
}

/** Passes a request on to the simulator as it came, but for the hop-by-hop headers. */
function pass(base: string, req: IncomingMessage, body: Buffer): Promise<Message> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && k !== 'host' && k !== 'connection')
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return forward(`${base}${req.url}`, { method: req.method ?? 'GET', headers }, (r) => r.end(body));
}

async function control(
  controlUrl: string,
  path: string,
  json: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${controlUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  return { status: res.status, text: await res.text() };
}

const USSD_ACTIONS: Record<string, string> = {
  open: 'user-init',
  select: 'menu-answer',
  type: 'input-answer',
};

/** Starts the vendor's gateway; it delivers receipts, MO and USSD events to `deliverTo` (the partner's URL). */
export async function startVendorGateway(deliverTo: string): Promise<VendorGateway> {
  const base = deliverTo.replace(/\/+$/, '');
  const sim = await startSimulator({
    profiles: vendorProfiles(base),
    smtp: false,
    log: () => {},
    retry: { delaysMs: [50, 200, 1000] },
  });
  const hook = async (req: IncomingMessage, res: ServerResponse, body: Buffer, path: string) => {
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    let forwarded: { status: number; text: string };
    if (req.method === 'POST' && path === '/test-hooks/mo') {
      const f = new URLSearchParams(body.toString('utf8'));
      const channel = f.get('channel');
      if (channel === 'sms')
        forwarded = await control(sim.controlUrl, '/mo/sms', {
          from: f.get('origin'),
          to: f.get('destination'),
          text: f.get('content'),
        });
      else if (channel === 'mms')
        forwarded = await control(sim.controlUrl, '/mo/mms', {
          from: f.get('origin'),
          to: f.get('destination'),
          mms: f.get('mime'),
        });
      else if (channel === 'wib')
        forwarded = await control(sim.controlUrl, '/mo/wib', {
          params: { IMEI: f.get('imei_bytes') ?? '', MARK: f.get('tag') ?? '' },
        });
      else return reply(422, { problem: 'channel must be sms, mms or wib' });
    } else if (req.method === 'PUT' && path.startsWith('/test-hooks/ussd/')) {
      let j: { shortcode?: string; action?: string; input?: string; owner?: string };
      try {
        j = JSON.parse(body.toString('utf8')) as typeof j;
      } catch {
        return reply(422, { problem: 'a JSON object, please' });
      }
      forwarded = await control(sim.controlUrl, '/ussd/event', {
        msisdn: decodeURIComponent(path.slice('/test-hooks/ussd/'.length)),
        shortCode: j.shortcode,
        kind: USSD_ACTIONS[j.action ?? ''],
        ...(j.input ? { value: j.input } : {}),
        ...(j.owner ? { sessionOwner: j.owner } : {}),
      });
    } else return reply(404, { problem: 'no such hook' });
    if (forwarded.status !== 200) return reply(422, { problem: forwarded.text });
    return reply(202, { queued: true });
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/test-hooks/')) return hook(req, res, body, path);
      if (path !== '/MSE/api' && path !== '/MSE/ussd') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      const answer = await pass(sim.url, req, body);
      const text = answer.body.toString('utf8');
      const renumbered = text.replace(/<status-code>(\d+)<\/status-code>/, (whole, code: string) =>
        VENDOR_CODES[code] ? `<status-code>${VENDOR_CODES[code]}</status-code>` : whole,
      );
      const out = renumbered === text ? answer.body : Buffer.from(renumbered, 'utf8');
      const headers: Record<string, string> = { ...answer.headers, 'content-length': String(out.length) };
      delete headers['transfer-encoding'];
      delete headers.connection;
      delete headers['keep-alive'];
      res.writeHead(answer.status, headers);
      res.end(out);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.close();
    },
  };
}
