/**
 * Deliberately broken partners (test support): each is the reference partner with one fault, so that a
 * test can show which checks catch which fault. Real sockets on 127.0.0.1, closed by the caller.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  closeServer,
  createPartnerApp,
  listen,
  nextCommand,
  type PartnerCredentials,
} from '../../src/partner/reference.ts';
import { buildUssdCommand, readUssdEvent, type UssdCommand, type UssdEvent } from '../../src/partner/xml.ts';
import { readAll } from '../http-proxy.ts';
import { writeReply } from './variants.ts';

export type Fault =
  | 'answers-500'
  | 'answers-204'
  | 'refuses-post'
  | 'rejects-latin1'
  | 'ussd-plain-text'
  | 'ussd-reserved-index'
  | 'ussd-over-long'
  | 'times-out'
  | 'duplicate-409'
  | 'accepts-wrong-credentials'
  | 'rejects-unknown-parameters'
  | 'ussd-drops-session-owner'
  | 'ussd-latin1-reply'
  | 'ussd-truncated-xml'
  | 'ussd-reserved-index-head-off'
  | 'ussd-over-long-head-off'
  | 'ussd-misordered-menu-reserved'
  | 'ussd-two-commands'
  | 'ussd-no-head'
  | 'ussd-other-subscriber';

export interface BrokenPartner {
  url: string;
  close(): Promise<void>;
}

const PROFILE = { profile: 'BROKEN_USSD', password: 'broken-ussd-pwd' };

function answer(res: ServerResponse, status: number, body = '', type = 'text/plain; charset=UTF-8') {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** The USSD reply of a broken partner: the reference's command, spoiled. */
function spoiledCommand(fault: Fault, good: UssdCommand): UssdCommand {
  if (fault === 'ussd-reserved-index')
    return {
      type: 'menu',
      title: 'Menu',
      options: [
        { index: '1', subtitle: 'Saldo' },
        { index: '9', subtitle: 'Mais opções' },
      ],
    };
  if (fault === 'ussd-over-long')
    return good.type === 'menu'
      ? { type: 'menu', title: 'T'.repeat(160), options: [{ index: '1', subtitle: 'S'.repeat(60) }] }
      : { type: good.type, content: 'C'.repeat(200) };
  return good;
}

const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>';

/** A head with only what the event carried, or less: the faults below spoil it further. */
function headOf(event: UssdEvent, drop: string[] = []): string {
  const fields: [string, string | undefined][] = [
    ['msisdn', event.msisdn],
    ['short_code', event.shortCode],
    ['session_owner', event.sessionOwner],
  ];
  return fields
    .filter(([name, value]) => value !== undefined && !drop.includes(name))
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
}

/**
 * The USSD replies whose structure or head is off (none of them valid per the command DTD), each with a defect
 * of another rule in the command where the fault says so: the command's checks must still catch it.
 */
function structuralReply(fault: Fault, event: UssdEvent): string | undefined {
  const good = nextCommand(event);
  const menu = (options: string, title = '<title>Menu</title>') =>
    `<menu>${title}<options>${options}</options></menu>`;
  const option = (index: string, subtitle: string) =>
    `<option><index>${index}</index><subtitle>${subtitle}</subtitle></option>`;
  switch (fault) {
    case 'ussd-truncated-xml':
      // Cut mid-element, as a partner that streams its reply and fails halfway would send it.
      return `${xmlDeclaration}<ussd_message_request><head>${headOf(event)}</head><command><menu><title>Me`;
    case 'ussd-reserved-index-head-off':
      // No msisdn in the head, and a reserved index in the menu.
      return `${xmlDeclaration}<ussd_message_request><head>${headOf(event, ['msisdn'])}</head><command>${menu(
        option('1', 'Saldo') + option('0', 'Voltar'),
      )}</command></ussd_message_request>`;
    case 'ussd-over-long-head-off': {
      const body =
        good.type === 'menu'
          ? menu(option('1', 'S'.repeat(60)), `<title>${'T'.repeat(160)}</title>`)
          : `<${good.type}><content>${'C'.repeat(200)}</content></${good.type}>`;
      return `${xmlDeclaration}<ussd_message_request><head>${headOf(event, ['short_code'])}</head><command>${body}</command></ussd_message_request>`;
    }
    case 'ussd-misordered-menu-reserved':
      // The title after the options (the DTD's menu is (title?, options)), and index 8.
      return `${xmlDeclaration}<ussd_message_request><head>${headOf(event)}</head><command><menu><options>${option(
        '8',
        'Reservado',
      )}</options><title>Menu</title></menu></command></ussd_message_request>`;
    case 'ussd-two-commands':
      return `${xmlDeclaration}<ussd_message_request><head>${headOf(event)}</head><command>${menu(
        option('1', 'Saldo'),
      )}<notify><content>Obrigado</content></notify></command></ussd_message_request>`;
    case 'ussd-no-head':
      return `${xmlDeclaration}<ussd_message_request><command>${menu(
        option('1', 'Saldo') + option('9', 'Mais'),
      )}</command></ussd_message_request>`;
    case 'ussd-other-subscriber':
      return writeReply(
        {
          head: {
            profile: PROFILE.profile,
            password: PROFILE.password,
            msisdn: '1100000000',
            shortCode: event.shortCode,
            mode: 'async',
            ...(event.sessionOwner !== undefined ? { sessionOwner: event.sessionOwner } : {}),
          },
          command: good,
        },
        {
          head: ['profile', 'password', 'msisdn', 'short_code', 'mode', 'session_owner'],
          indent: '  ',
          newline: '\n',
          declaration: xmlDeclaration,
        },
      );
    default:
      return undefined;
  }
}

/**
 * Starts a partner with one fault. `credentials` configures the reference part (the suite's config should
 * carry the same ones); `accepts-wrong-credentials` ignores them.
 */
export async function startBrokenPartner(
  fault: Fault,
  credentials?: PartnerCredentials,
): Promise<BrokenPartner> {
  const app = createPartnerApp(
    fault === 'accepts-wrong-credentials' || !credentials
      ? { ussdProfile: PROFILE }
      : { credentials, ussdProfile: PROFILE },
  );
  const seen = new Set<string>();
  const held: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    switch (fault) {
      case 'answers-500':
        await readAll(req);
        return answer(res, 500, 'internal error');
      case 'answers-204':
        await readAll(req);
        res.writeHead(204);
        return res.end();
      case 'refuses-post':
        if (req.method === 'POST') {
          await readAll(req);
          return answer(res, 405, 'POST not allowed');
        }
        break;
      case 'rejects-latin1':
        if (path === '/mo/sms') {
          // The classic mistake: the query is decoded as UTF-8, and a Latin-1 byte such as %E7 breaks it.
          try {
            decodeURIComponent((req.url ?? '').split('?')[1] ?? '');
          } catch {
            return answer(res, 400, 'invalid UTF-8 in the query');
          }
        }
        break;
      case 'ussd-plain-text':
        if (path === '/ussd') {
          await readAll(req);
          return answer(res, 200, 'Obrigado!');
        }
        break;
      case 'ussd-reserved-index':
      case 'ussd-over-long':
        if (path === '/ussd') {
          const event = readUssdEvent(await readAll(req));
          if (!event.ok) return answer(res, 400, event.error);
          const command = spoiledCommand(fault, nextCommand(event.value));
          return answer(res, 200, buildUssdCommand(event.value, command, PROFILE), 'text/xml; charset=UTF-8');
        }
        break;
      case 'times-out':
        // Never answers; close() ends the connection.
        held.push(res);
        return;
      case 'duplicate-409': {
        const body = await readAll(req);
        const key = createHash('sha256').update(`${req.method} ${req.url}\n`).update(body).digest('hex');
        if (seen.has(key)) return answer(res, 409, 'already received');
        seen.add(key);
        // Hand the consumed body back to the reference app.
        const { Readable } = await import('node:stream');
        const replay = Object.assign(Readable.from([body]), {
          method: req.method,
          url: req.url,
          headers: req.headers,
        }) as unknown as IncomingMessage;
        return app.handle(replay, res);
      }
      case 'accepts-wrong-credentials':
        break;
      case 'rejects-unknown-parameters': {
        const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
        const known = new Set(['userid', 'pwd', 'TEXT', 'ID', 'ANUM', 'BNUM', 'USER', 'PWD']);
        const unknown = [...query.keys()].filter((k) => !known.has(k));
        if (unknown.length) {
          await readAll(req);
          return answer(res, 400, `unknown parameter ${unknown[0]}`);
        }
        break;
      }
      case 'ussd-truncated-xml':
      case 'ussd-reserved-index-head-off':
      case 'ussd-over-long-head-off':
      case 'ussd-misordered-menu-reserved':
      case 'ussd-two-commands':
      case 'ussd-no-head':
      case 'ussd-other-subscriber':
        if (path === '/ussd') {
          const event = readUssdEvent(await readAll(req));
          if (!event.ok) return answer(res, 400, event.error);
          return answer(res, 200, structuralReply(fault, event.value) ?? '', 'text/xml; charset=UTF-8');
        }
        break;
      case 'ussd-drops-session-owner':
      case 'ussd-latin1-reply':
        if (path === '/ussd') {
          const event = readUssdEvent(await readAll(req));
          if (!event.ok) return answer(res, 400, event.error);
          const { sessionOwner: _dropped, ...withoutOwner } = event.value;
          const head = fault === 'ussd-drops-session-owner' ? withoutOwner : event.value;
          const xml = buildUssdCommand(head, nextCommand(event.value), PROFILE);
          // Declares UTF-8 but sends Latin-1 bytes (the accents of the reference's texts give it away).
          const bytes = Buffer.from(xml, fault === 'ussd-latin1-reply' ? 'latin1' : 'utf8');
          res.writeHead(200, {
            'content-type': 'text/xml; charset=UTF-8',
            'content-length': String(bytes.length),
          });
          return res.end(bytes);
        }
        break;
    }
    app.handle(req, res);
  });
  const url = await listen(server, '127.0.0.1', 0);
  return {
    url,
    close: async () => {
      for (const res of held) res.destroy();
      await closeServer(server);
    },
  };
}
