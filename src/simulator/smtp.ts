import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { checkInputValue } from '../spec/values.ts';
import { yyMMddHHmm } from './clock.ts';
import { logTransaction, newTransaction, type SimContext } from './context.ts';
import { Status } from './status.ts';

export interface SmtpHandle {
  port: number;
  close(): Promise<void>;
}

const maxMessageBytes = 1_048_576;

function smtpError(code: number, message: string): Error {
  const error = new Error(message) as Error & { responseCode: number };
  error.responseCode = code;
  return error;
}

/** The MSE user of a sender: the first domainChars characters after "@" (10.1). */
export function smtpUser(ctx: SimContext, address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1, at + 1 + ctx.spec.protocol.smtp.domainChars).toLowerCase();
}

/** The address inside a From header: `Name <a@b>` or `a@b`. */
function addressOf(header: string): string {
  return (/<([^>]*)>/.exec(header)?.[1] ?? header).trim();
}

/** Unfolded header fields of a message (name lower-cased), in order. */
function headers(message: string): [string, string][] {
  const head = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const out: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1]![1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return out;
}

/**
 * SMTP AUTD (chapter 10): the partner's mail server sends one message per new mail; the sender's
 * domain authenticates it and the `for <NUMBER@domain>` clause of the Received header names the
 * handset, which gets a notification SMS through the simulated SMSC.
 */
export async function startSmtp(ctx: SimContext, host: string, port: number): Promise<SmtpHandle> {
  const service = ctx.spec.services.find((s) => s.kind === 'smtp');
  const numberInput = service?.inputs.find((i) => i.format === 'msisdn10');
  const provisioned = () => ctx.smtpDomains.map((d) => ({ ...d, user: smtpUser(ctx, `@${d.domain}`) }));

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'MSE simulator AUTD',
    size: maxMessageBytes,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxMessageBytes) chunks.push(c);
      });
      stream.on('end', () => {
        try {
          const message = Buffer.concat(chunks).toString('utf8');
          const fields = headers(message);
          const fromHeader = fields.find(([n]) => n === 'from')?.[1];
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const sender = fromHeader ? addressOf(fromHeader) : envelopeFrom;
          const user = smtpUser(ctx, sender);
          const t = newTransaction(ctx, 'smtp', {
            ...(service ? { service: service.id } : {}),
            request: {
              method: 'SMTP',
              path: 'DATA',
              params: { FROM: sender.slice(0, 120) },
              bodyBytes: size,
            },
          });
          const refuse = (code: number, text: string) => {
            t.response = { httpStatus: code, statusCode: Status.parameter, errorMessage: text, body: '' };
            logTransaction(ctx, t);
            callback(smtpError(code, text));
          };
          const domain = provisioned().find((d) => d.user === user);
          if (!user || !domain)
            return refuse(
              535,
              `Sender domain "${user}" is not provisioned for AUTD (10.1): the first ${ctx.spec.protocol.smtp.domainChars} characters after @ identify the partner`,
            );
          t.profile = domain.profile ?? domain.domain;
          const received = fields.filter(([n]) => n === 'received').map(([, v]) => v);
          const number = received
            .map((r) => /\bfor\s+<([^@>\s]+)@[^>]*>/i.exec(r)?.[1])
            .find((n) => n !== undefined);
          if (number === undefined)
            return refuse(
              550,
              'No "for <NUMBER@domain>" clause in a Received header: it names the handset to notify (10.1)',
            );
          const problem = checkInputValue(
            numberInput ?? { name: 'FOR', format: 'msisdn10' },
            number,
            ctx.spec.formats,
          );
          if (problem) return refuse(550, `Invalid number [FOR]: ${problem.message} (10.1)`);
          // The notification SMS goes through the same simulated SMSC as SMS_TEXT.
          const outcome = ctx.backends.smscOutcome(number);
          const now = ctx.clock.now();
          t.execution = {
            statusCode: Status.ok,
            parameters: [
              { name: 'BNUM', value: number },
              { name: 'INITIALDATE', value: yyMMddHHmm(now) },
              { name: 'FINALDATE', value: yyMMddHHmm(now) },
              outcome === 'NO_ANSWER'
                ? { name: 'SMPP_COMMAND_STATUS', value: '0' }
                : { name: 'SMPP_MESSAGE_STATUS', value: outcome === 'SLOW' ? 'DELIVRD' : outcome },
            ],
          };
          t.notes.push(`notification SMS to ${number}`);
          t.response = { httpStatus: 250, statusCode: Status.ok, body: '' };
          logTransaction(ctx, t, `for=${number}`);
          callback(null, `queued as ${t.transactionId}`);
        } catch (error) {
          callback(smtpError(451, `simulator error: ${(error as Error).message}`));
        }
      });
      stream.on('error', () => callback(smtpError(451, 'message stream failed')));
    },
  });
  server.on('error', (error) => ctx.log?.(`smtp: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
