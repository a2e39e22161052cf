/**
 * Hostile mail to the simulator's SMTP AUTD listener (chapter 10): generated senders, Received headers,
 * `for <NUMBER@domain>` clauses, header folding, raw Latin-1 and invalid UTF-8 bytes and long lines, sent
 * over a raw SMTP dialogue. Every message gets an SMTP reply (2xx or 5xx) within the deadline, and the
 * listener still takes a valid notification afterwards.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSmtpDomain, type Simulator, startSimulator } from '../../src/simulator/index.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ log: () => {} });
});
afterAll(async () => {
  await sim?.close();
});

/**
 * One SMTP session (EHLO, MAIL, RCPT, DATA, the message, QUIT); resolves with the reply code to the end of
 * DATA, 0 when the server closed without one, or -1 at the deadline.
 */
function sendMail(from: string, message: Buffer, deadlineMs = 5_000): Promise<number> {
  const smtp = sim.smtp!;
  return new Promise((resolve) => {
    const socket = connect(smtp.port, smtp.host);
    let buffer = '';
    let step = 0;
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => finish(-1), deadlineMs);
    // Dot-stuffing as the protocol requires, so that a "." line inside the message does not end it.
    const body = Buffer.from(
      message.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..'),
      'latin1',
    );
    const commands: (Buffer | string)[] = [
      'EHLO fuzz.example\r\n',
      `MAIL FROM:<${from}>\r\n`,
      `RCPT TO:<1191000000@${defaultSmtpDomain}>\r\n`,
      'DATA\r\n',
      Buffer.concat([body, Buffer.from('\r\n.\r\n')]),
    ];
    socket.on('data', (c: Buffer) => {
      buffer += c.toString('latin1');
      // A reply is complete at a line "NNN text" (not "NNN-text").
      for (;;) {
        const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffer);
        if (!m) return;
        buffer = buffer.slice(m.index + m[0].length);
        const code = Number(m[1]);
        if (step === commands.length) {
          socket.write('QUIT\r\n');
          finish(code);
          return;
        }
        // A refusal of MAIL or RCPT ends the session here: that is an answer too.
        if (code >= 400 && step > 1) {
          finish(code);
          return;
        }
        socket.write(commands[step++]!);
      }
    });
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
  });
}

const bytes = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('latin1'));
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  bytes,
  fc.constantFrom('', ' ', '\t', '<>', '@', 'for <>'),
);
const received = fc.oneof(
  fc
    .tuple(text, fc.oneof(fc.stringMatching(/^[0-9]{8,12}$/), text), text)
    .map(([a, n, d]) => `Received: from ${a} by mse\r\n\tfor <${n}@${d}>; Mon, 1 Jan 2024 00:00:00 +0000`),
  text.map((t) => `Received: ${t}`),
);
const message = fc
  .record({
    from: fc.oneof(
      fc.constant(`Partner <partner@${defaultSmtpDomain}>`),
      text.map((t) => `From: ${t}`),
    ),
    received: fc.array(received, { maxLength: 4 }),
    extra: fc.array(
      text.map((t) => `X-${t.replace(/[:\r\n]/g, '')}: ${t}`),
      { maxLength: 3 },
    ),
    longLine: fc.integer({ min: 0, max: 20_000 }),
    body: text,
  })
  .map((m) =>
    Buffer.from(
      [
        m.from.startsWith('From:') ? m.from : `From: ${m.from}`,
        ...m.received,
        ...m.extra,
        `Subject: ${'x'.repeat(m.longLine)}`,
        '',
        m.body,
      ].join('\r\n'),
      'latin1',
    ),
  );

describe('SMTP AUTD under hostile mail', () => {
  it('every generated message gets an SMTP reply in time, and the listener lives on', async () => {
    const codes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(`partner@${defaultSmtpDomain}`),
          text.map((t) => t.replace(/[<>\r\n]/g, '')),
        ),
        message,
        async (from, m) => {
          const code = await sendMail(from, m);
          codes[String(code)] = (codes[String(code)] ?? 0) + 1;
          expect(code, 'no reply within the deadline').not.toBe(-1);
          expect(code === 0 || (code >= 200 && code < 600)).toBe(true);
        },
      ),
      { numRuns: Number(process.env.MSE_FUZZ_RUNS ?? 400) / 4 },
    );
    // Some were taken and some refused: the generator reaches both sides.
    expect(Object.keys(codes).length).toBeGreaterThan(1);
    const valid = Buffer.from(
      `From: Partner <partner@${defaultSmtpDomain}>\r\nReceived: from x by y\r\n\tfor <1191000000@${defaultSmtpDomain}>; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: ok\r\n\r\nhello`,
      'latin1',
    );
    expect(await sendMail(`partner@${defaultSmtpDomain}`, valid)).toBe(250);
  });
});
