/**
 * A minimal SMTP client for the AUTD checks (chapter 10): one message per connection, every line of the
 * conversation kept so that a report shows exactly what was said. No AUTH, no TLS: 10.1 runs over a VPN.
 */
import { connect } from 'node:net';

export interface SmtpResult {
  /** The reply code that decided the message: DATA's final reply, or the first refusal before it. */
  code: number;
  /** Which step gave that code: banner, EHLO, MAIL, RCPT, DATA, message. */
  step: string;
  transcript: string;
  error?: string;
}

export function sendMail(options: {
  host: string;
  port: number;
  from: string;
  to: string;
  message: string;
  timeoutMs: number;
}): Promise<SmtpResult> {
  return new Promise((resolve) => {
    const socket = connect(options.port, options.host);
    let transcript = '';
    let buffer = '';
    let settled = false;
    const steps: [string, string | undefined][] = [
      ['banner', undefined],
      ['EHLO', 'EHLO mse-conformance.local'],
      ['MAIL', `MAIL FROM:<${options.from}>`],
      ['RCPT', `RCPT TO:<${options.to}>`],
      ['DATA', 'DATA'],
      ['message', `${options.message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`],
    ];
    let i = 0;
    const finish = (result: Omit<SmtpResult, 'transcript'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.end('QUIT\r\n');
      socket.destroy();
      resolve({ ...result, transcript });
    };
    const timer = setTimeout(
      () =>
        finish({ code: 0, step: steps[i]?.[0] ?? 'end', error: `no reply within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const next = () => {
      i++;
      const step = steps[i];
      if (!step) return;
      transcript += `C: ${step[1]}\n`;
      socket.write(`${step[1]}\r\n`);
    };
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      // A reply ends with a line "NNN text" (a space after the code, not a hyphen).
      for (;;) {
        const m = /^(\d{3}) .*\r?\n/m.exec(buffer);
        if (!m) break;
        const end = m.index + m[0].length;
        const reply = buffer.slice(0, end);
        buffer = buffer.slice(end);
        transcript += reply
          .split(/\r?\n/)
          .filter(Boolean)
          .map((l) => `S: ${l}\n`)
          .join('');
        const code = Number(m[1]);
        const step = steps[i]![0];
        const expected = step === 'DATA' ? 3 : 2;
        if (Math.floor(code / 100) !== expected || step === 'message') {
          finish({ code, step });
          return;
        }
        next();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish({ code: 0, step: steps[i]?.[0] ?? 'connect', error: `${e.code ?? e.message}` }),
    );
    socket.on('close', () => finish({ code: 0, step: steps[i]?.[0] ?? 'end', error: 'connection closed' }));
  });
}
