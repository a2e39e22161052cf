/**
 * The simulated back-ends behind the MSE: SMSC, subscriber directory, cell table, TAC table, billing,
 * offers and protocol numbers. Everything is deterministic; behaviour is chosen by the last four digits
 * of the ten-digit number (the magic numbers below, also in README.md) or by a scenario set through
 * POST /__control/scenario.
 */

export type SmscOutcome = 'DELIVRD' | 'EXPIRED' | 'UNDELIV' | 'UNKNOWN' | 'REJECTD' | 'NO_ANSWER' | 'SLOW';

/**
 * Magic numbers: the last four digits of a ten-digit destination (BNUM, CTN, MSISDN) pick the behaviour.
 * Every other number is an active post-paid GSM subscriber whose handset answers and whose SMS are
 * delivered (DELIVRD).
 */
export const magicNumbers: { suffix: string; smsc?: SmscOutcome; subscriber?: string; effect: string }[] = [
  { suffix: '0001', smsc: 'EXPIRED', effect: 'SMSC receipt EXPIRED (MSGSTATUS 7)' },
  { suffix: '0002', smsc: 'UNDELIV', effect: 'SMSC receipt UNDELIV (MSGSTATUS 7)' },
  { suffix: '0003', smsc: 'UNKNOWN', effect: 'SMSC receipt UNKNOWN (MSGSTATUS 7)' },
  { suffix: '0004', smsc: 'REJECTD', effect: 'SMSC receipt REJECTD (MSGSTATUS 7)' },
  {
    suffix: '0005',
    smsc: 'NO_ANSWER',
    effect:
      'the SMSC sends no delivery receipt: the execution response ends at the hand-off and carries SMPP_COMMAND_STATUS 0, and MSGSTATUS 7 (not known delivered)',
  },
  {
    suffix: '0006',
    smsc: 'SLOW',
    subscriber: 'slow',
    effect:
      'the back-end answers only after the sync time limit: sync gets the timeout response (408); asynchronous modes complete late',
  },
  {
    suffix: '0010',
    subscriber: 'prepaid-gsm',
    effect: 'pre-paid GSM subscriber (PF) with 50 cents of credit',
  },
  { suffix: '0011', subscriber: 'prepaid-tdma', effect: 'pre-paid TDMA subscriber (PF) with no credit' },
  {
    suffix: '0012',
    subscriber: 'postpaid-unknown-technology',
    effect: 'post-paid subscriber whose technology is unknown (TECNOLOGY empty)',
  },
  { suffix: '0013', subscriber: 'postpaid-company', effect: 'post-paid GSM subscriber of a company (PJ)' },
  { suffix: '0014', subscriber: 'inactive', effect: 'inactive subscriber: status-code 19' },
  { suffix: '0019', subscriber: 'unknown', effect: 'unknown subscriber: status-code 19' },
  {
    suffix: '0110',
    subscriber: 'silent-device',
    effect:
      'the handset does not answer the SIM toolkit query: LBS_TORPEDO and IMEI_TORPEDO fail with 110 "No Device Response"',
  },
];

export interface Subscriber {
  ctn: string;
  type: 'PRE' | 'POS';
  technology: 'GSM' | 'TDMA' | '';
  /** Status of the line; `A` (active) is the only value the document shows. */
  status: string;
  customer: 'PF' | 'PJ';
  creditCents: number;
  /** The handset's IMEI (15 digits) and whether it answers SIM toolkit queries. */
  imei: string;
  deviceAnswers: boolean;
  /** The cell the handset is in: MCC/MNC/LAC/CELLID. */
  cell: string;
  active: boolean;
  slow: boolean;
}

/** The document's handset (6.4.16) and cell (6.4.10). */
export const documentImei = '352206012229529';
export const documentCell = '724/5/219/100';

export interface Position {
  latitude: string;
  longitude: string;
  azimuth: string;
  radius: string;
}

/** Cell table keyed by MCC/MNC/LAC/CELLID written without leading zeros. */
export const cellTable = new Map<string, Position>([
  [
    documentCell,
    { latitude: '-22.0584166667', longitude: '-46.9794166667', azimuth: '0.0', radius: '4000.0' },
  ],
  [
    '724/5/219/101',
    { latitude: '-22.0601250000', longitude: '-46.9712500000', azimuth: '120.0', radius: '2500.0' },
  ],
  [
    '724/5/1100/3021',
    { latitude: '-23.5613888889', longitude: '-46.6558333333', azimuth: '240.0', radius: '800.0' },
  ],
]);

/** TAC table (first eight digits of an IMEI). The first row is the document's example (6.4.16). */
export const tacTable = new Map<string, { manufacturer: string; model: string }>([
  ['35220601', { manufacturer: 'sonyericsson', model: 'K790i' }],
  ['35693803', { manufacturer: 'nokia', model: 'N7' }],
  ['35145120', { manufacturer: 'motorola', model: 'V3' }],
]);

export function cellKey(mcc: string, mnc: string, lac: string, cellId: string): string {
  return [mcc, mnc, lac, cellId].map((v) => String(Number.parseInt(v, 10))).join('/');
}

/**
 * A position for any cell: the table's, or for a cell the table lacks, a stable one derived from the key
 * (inside the state of São Paulo) so that partners always get an answer of the right shape.
 */
export function positionOf(key: string): Position {
  const known = cellTable.get(key);
  if (known) return known;
  let h = 2166136261;
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const lat = -20 - (h % 500_000) / 100_000;
  const lon = -45 - ((h >>> 8) % 500_000) / 100_000;
  return { latitude: lat.toFixed(10), longitude: lon.toFixed(10), azimuth: '0.0', radius: '5000.0' };
}

/**
 * CGI bytes as a handset reports them (3GPP TS 11.14 location information, 24.008 coding): 3 bytes of
 * BCD MCC/MNC, 2 bytes LAC, 2 bytes cell id, in hex. The document's cell is `27F45000DB0064`.
 */
export function decodeCgiBytes(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{14}$/.test(hex)) return undefined;
  const b = Buffer.from(hex, 'hex');
  const n = (byte: number, high: boolean) => (high ? byte >> 4 : byte & 0x0f);
  const mccDigits = [n(b[0]!, false), n(b[0]!, true), n(b[1]!, false)];
  const mncDigits = [n(b[2]!, false), n(b[2]!, true), n(b[1]!, true)].filter((d) => d !== 0x0f);
  if ([...mccDigits, ...mncDigits].some((d) => d > 9)) return undefined;
  const lac = b.readUInt16BE(3);
  const cellId = b.readUInt16BE(5);
  return cellKey(mccDigits.join(''), mncDigits.join(''), String(lac), String(cellId));
}

export function encodeCgiBytes(mcc: string, mnc: string, lac: number, cellId: number): string {
  const d = (s: string, i: number) => (i < s.length ? Number(s[i]) : 0x0f);
  const b = Buffer.alloc(7);
  b[0] = (d(mcc, 1) << 4) | d(mcc, 0);
  b[1] = ((mnc.length === 3 ? d(mnc, 2) : 0x0f) << 4) | d(mcc, 2);
  b[2] = (d(mnc, 1) << 4) | d(mnc, 0);
  b.writeUInt16BE(lac, 3);
  b.writeUInt16BE(cellId, 5);
  return b.toString('hex').toUpperCase();
}

/**
 * IMEI bytes as the SIM toolkit's PROVIDE LOCAL INFORMATION (IMEI) returns them: the 24.008 mobile
 * identity, 8 bytes of swapped BCD whose first nibble is the identity type (IMEI = 0xA with the odd flag).
 * Also accepts the 15 or 16 decimal digits written in hex-looking form by some WIB scripts.
 */
export function decodeImeiBytes(hex: string): string | undefined {
  const clean = hex.replace(/\s+/g, '');
  if (/^[0-9]{15,16}$/.test(clean)) return clean.slice(0, 15);
  if (!/^[0-9A-Fa-f]{16}$/.test(clean)) return undefined;
  const b = Buffer.from(clean, 'hex');
  if ((b[0]! & 0x07) !== 0x02) return undefined;
  let digits = String(b[0]! >> 4);
  for (let i = 1; i < 8; i++) digits += `${b[i]! & 0x0f}${b[i]! >> 4}`;
  return /^[0-9]{15}$/.test(digits) ? digits : undefined;
}

export function encodeImeiBytes(imei: string): string {
  const b = Buffer.alloc(8);
  b[0] = (Number(imei[0]) << 4) | 0x0a;
  for (let i = 1; i < 8; i++) b[i] = (Number(imei[2 * i]) << 4) | Number(imei[2 * i - 1]);
  return b.toString('hex').toUpperCase();
}

/** The IMEI as the torpedo and WIB_MO report it: the 15th (check) digit always 0 (6.4.14, 6.4.17). */
export function zeroCheckDigit(imei: string): string {
  return `${imei.slice(0, 14)}0`;
}

export function subscriberFor(ctn: string, extra?: Map<string, Subscriber>): Subscriber {
  const provisioned = extra?.get(ctn);
  if (provisioned) return provisioned;
  const base: Subscriber = {
    ctn,
    type: 'POS',
    technology: 'GSM',
    status: 'A',
    customer: 'PF',
    creditCents: 100_000,
    imei: documentImei,
    deviceAnswers: true,
    cell: documentCell,
    active: true,
    slow: false,
  };
  const kind = magicNumbers.find((m) => ctn.endsWith(m.suffix))?.subscriber;
  switch (kind) {
    case 'prepaid-gsm':
      return { ...base, type: 'PRE', creditCents: 50 };
    case 'prepaid-tdma':
      return { ...base, type: 'PRE', technology: 'TDMA', creditCents: 0 };
    case 'postpaid-unknown-technology':
      return { ...base, technology: '' };
    case 'postpaid-company':
      return { ...base, customer: 'PJ', imei: '356938035643809' };
    case 'inactive':
      return { ...base, active: false, status: 'I' };
    case 'unknown':
      return { ...base, active: false, status: '' };
    case 'silent-device':
      return { ...base, deviceAnswers: false };
    case 'slow':
      return { ...base, slow: true };
    default:
      return base;
  }
}

/** Seeded pseudo-random numbers (mulberry32), so a random outcome mix repeats for one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What POST /__control/scenario sets: SMSC outcomes by number, for every message, or a seeded mix. */
export interface Scenario {
  smsc?: {
    /** Outcome for every message (wins over the magic numbers). */
    outcome?: SmscOutcome;
    /** Outcome per destination number (wins over everything). */
    numbers?: Record<string, SmscOutcome>;
    /** Weights of a seeded random mix, used for numbers no other rule picks. */
    mix?: Partial<Record<SmscOutcome, number>>;
    seed?: number;
    /** How long the SMSC takes before its delivery receipt, for every message (ms, simulated time). */
    delayMs?: number;
    /** The same per destination number (wins over delayMs). */
    delays?: Record<string, number>;
  };
  /** Extra provisioned subscribers. */
  subscribers?: (Partial<Subscriber> & { ctn: string })[];
}

export class Backends {
  readonly offers = new Map<string, Set<string>>();
  readonly charges: { transactionId: string; ctn: string; billingCode?: string; at: string }[] = [];
  readonly subscribers = new Map<string, Subscriber>();
  private protocol = 20122657;
  private scenario: Scenario = {};
  private random: () => number;

  constructor(private readonly seed = 1) {
    this.random = seededRandom(seed);
  }

  setScenario(scenario: Scenario): void {
    this.scenario = scenario;
    this.random = seededRandom(scenario.smsc?.seed ?? this.seed);
    this.subscribers.clear();
    for (const s of scenario.subscribers ?? [])
      this.subscribers.set(s.ctn, { ...subscriberFor(s.ctn), ...s });
  }

  getScenario(): Scenario {
    return this.scenario;
  }

  subscriber(ctn: string): Subscriber {
    return subscriberFor(ctn, this.subscribers);
  }

  smscOutcome(destination: string): SmscOutcome {
    const s = this.scenario.smsc;
    const byNumber = s?.numbers?.[destination];
    if (byNumber) return byNumber;
    if (s?.outcome) return s.outcome;
    const magic = magicNumbers.find((m) => m.smsc && destination.endsWith(m.suffix))?.smsc;
    if (magic) return magic;
    if (s?.mix) {
      const entries = Object.entries(s.mix).filter(([, w]) => (w ?? 0) > 0) as [SmscOutcome, number][];
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      let r = this.random() * total;
      for (const [outcome, w] of entries) {
        r -= w;
        if (r < 0) return outcome;
      }
    }
    return 'DELIVRD';
  }

  /** The SMSC's delay for a destination: per number, else for all, else none. */
  smscDelay(destination: string): number {
    const s = this.scenario.smsc;
    return s?.delays?.[destination] ?? s?.delayMs ?? 0;
  }

  nextProtocol(): string {
    this.protocol += 1;
    return String(this.protocol);
  }
}
