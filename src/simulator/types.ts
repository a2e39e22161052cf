/** The simulator's configuration and handle, apart from its modules so that they all can name them. */
import type { Mode } from '../spec/types.ts';
import type { Scenario } from './backends.ts';
import type { TransactionTimeline } from './transactions.ts';

export interface ProfileConfig {
  id: string;
  /** Service id of spec/services (SMS_TEXT, ...). */
  service: string;
  password: string;
  /** When set, billingCode is required and must match. */
  billingCode?: string;
  /** Modes the profile allows (default: the service's allowed modes). */
  modes?: Mode[];
  /** Where async-delivery receipts go. */
  delivery?: { url: string; userid?: string; pwd?: string };
  /** Where MO deliveries go (SMS MO GET, MMS MO POST, WIB MO, USSD events). */
  mo?: { url: string; user?: string; pwd?: string };
  /** 33NN / 2NNN for SMS MO routing; the USSD short code for USSD events. */
  shortNumber?: string;
  /** 9.3 token bucket. */
  rate?: { perSecond: number; burst: number };
}

export interface SimulatorOptions {
  /** Default 127.0.0.1 and port 0 (an ephemeral port). */
  host?: string;
  port?: number;
  /** Default: defaultProfiles(callback). */
  profiles?: ProfileConfig[];
  /** Base URL every default profile delivers to (receipts, MO, USSD events). */
  callback?: string;
  seed?: number;
  /** PEM certificate and key (contents, not paths); HTTPS when given. */
  tls?: { cert: string; key: string };
  /** SMTP AUTD listener (chapter 10); default an ephemeral port on 127.0.0.1, `false` for none. */
  smtp?: { port: number; domains?: { domain: string; profile?: string }[] } | false;
  clock?: 'real' | 'virtual';
  /** Delay before a receipt or MO is delivered (default 20 ms). */
  receiptDelayMs?: number;
  /** Delays before each redelivery after a non-200; the delivery is given up after the last. */
  retry?: { delaysMs: number[] };
  /** Default: spec protocol.syncTimeoutSeconds. */
  syncTimeoutMs?: number;
  /** Request body cap in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * One line per transaction; default console.log. Passwords are never in it. `false`: no lines, and none
   * is written (under load, formatting a line per request that nobody reads is measurable).
   */
  log?: ((line: string) => void) | false;
  /** Timelines kept in memory (oldest dropped first; default 20000). */
  maxTransactions?: number;
  /** Initial SMSC scenario and extra subscribers (also POST /__control/scenario). */
  scenario?: Scenario;
}

export interface Simulator {
  /** http(s)://HOST:PORT; the API is at `${url}/MSE/api` and `${url}/MSE/ussd`. */
  url: string;
  controlUrl: string;
  smtp?: { host: string; port: number };
  profiles: ProfileConfig[];
  transactions(): TransactionTimeline[];
  /** Virtual clock: moves time, runs what falls due (deliveries, retries, sync timeouts) and waits for it. */
  advance(ms: number): Promise<void>;
  /** Resolves when no delivery is in flight (and, with the real clock, none is scheduled). */
  idle(): Promise<void>;
  close(): Promise<void>;
}
