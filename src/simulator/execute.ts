import type { Backend, OutputParameter, Service } from '../spec/types.ts';
import { type Backends, cellKey, decodeCgiBytes, positionOf, tacTable, zeroCheckDigit } from './backends.ts';
import { yyMMddHHmm } from './clock.ts';
import { Status } from './status.ts';

/**
 * Which back-end answers a service: its entry names it (`backend`). The back-end produces facts by output
 * name; the service entry decides which of them appear in the execution response (and in which order).
 */
export function backendOf(service: Service): Backend {
  if (!service.backend) throw new Error(`${service.id} names no backend in its spec entry`);
  return service.backend;
}

/**
 * What a back-end made of a request. Its parameters are kept as their values, in the order of the service's
 * entry, and listed as name/value pairs only when asked for: the simulator keeps each execution in its
 * timeline, and an object per output parameter weighed more under load than the rest of the timeline
 * (an async-oneway request never sends them at all).
 */
export class Execution {
  constructor(
    readonly statusCode: number,
    readonly errorMessage: string | undefined,
    /** How long the back-end takes (simulated); beyond the sync limit, sync answers with a timeout. */
    readonly delayMs: number,
    private readonly entry: readonly OutputParameter[] = [],
    private readonly values: readonly (string | undefined)[] = [],
  ) {}

  /** The execution response's parameters, in the order of the service's entry. */
  get parameters(): { name: string; value: string }[] {
    const out: { name: string; value: string }[] = [];
    for (let i = 0; i < this.entry.length; i++) {
      const value = this.values[i];
      if (value !== undefined) out.push({ name: this.entry[i]!.name, value });
    }
    return out;
  }

  /** As the timeline shows it: no delay, no error-message when there is none. */
  toJSON() {
    return {
      statusCode: this.statusCode,
      ...(this.errorMessage ? { errorMessage: this.errorMessage } : {}),
      parameters: this.parameters,
    };
  }
}

export interface ExecutionInput {
  service: Service;
  params: Record<string, string>;
  transactionId: string;
  billingCode?: string;
  /** The originator used when the request has none (the profile's short number). */
  defaultOriginator: string;
  backends: Backends;
  now: number;
  syncTimeoutMs: number;
}

/** The subscriber number of a request: the first input whose format is a ten-digit number. */
function subscriberNumber(service: Service, params: Record<string, string>): string | undefined {
  for (const input of service.inputs)
    if (input.format === 'msisdn10' && params[input.name] !== undefined) return params[input.name];
  return undefined;
}

const failure = (statusCode: number, errorMessage: string, delayMs = 0) =>
  new Execution(statusCode, errorMessage, delayMs);

/** Runs a partner-to-MSE service against the simulated back-ends. */
export function execute(input: ExecutionInput): Execution {
  const { service, params, backends } = input;
  const backend = backendOf(service);
  const facts: Record<string, string> = {};
  let delayMs = 0;
  const number = subscriberNumber(service, params);
  const slowDelay = input.syncTimeoutMs + 1000;

  if (backend === 'smsc') {
    const outcome = backends.smscOutcome(number ?? '');
    delayMs = outcome === 'SLOW' ? slowDelay : backends.smscDelay(number ?? '');
    if (outcome === 'NO_ANSWER') facts.SMPP_COMMAND_STATUS = '0';
    else facts.SMPP_MESSAGE_STATUS = outcome === 'SLOW' ? 'DELIVRD' : outcome;
    facts.INITIALDATE = yyMMddHHmm(input.now);
    facts.FINALDATE = yyMMddHHmm(input.now + delayMs);
  } else if (
    number !== undefined ||
    ['directory', 'billing', 'lbs-torpedo', 'imei-torpedo'].includes(backend)
  ) {
    const ctn = number ?? '';
    const subscriber = backends.subscriber(ctn);
    if (!subscriber.active)
      return failure(
        Status.unknownSubscriber,
        `Unknown or inactive subscriber [${ctn}]: the simulator's directory has no active line with this number`,
      );
    if (subscriber.slow) delayMs = slowDelay;
    facts.IS_PREPAID = String(subscriber.type === 'PRE');
    const amount = Number.parseInt(params.AMOUNT ?? '0', 10);
    facts.HAS_CREDIT = String(subscriber.type === 'POS' || subscriber.creditCents >= amount);
    facts.TECNOLOGY = subscriber.technology;
    facts.SUBSCRIBER_TYPE = subscriber.type;
    facts.STATUS = subscriber.status;
    facts.CUSTOMER_TYPE = subscriber.customer;
    if (backend === 'billing')
      backends.charges.push({
        transactionId: input.transactionId,
        ctn,
        ...(input.billingCode !== undefined ? { billingCode: input.billingCode } : {}),
        at: new Date(input.now).toISOString(),
      });
    if (backend === 'lbs-torpedo' || backend === 'imei-torpedo') {
      if (!subscriber.deviceAnswers) return failure(Status.noDeviceResponse, 'No Device Response', delayMs);
      if (backend === 'lbs-torpedo') Object.assign(facts, positionFacts(subscriber.cell));
      else Object.assign(facts, imeiFacts(zeroCheckDigit(subscriber.imei)));
    }
    if (backend === 'offer-insert' || backend === 'offer-delete') {
      const items = [params.CATEGORIA, params.OFFERS]
        .filter((v): v is string => v !== undefined)
        .flatMap((v) => v.split(';'))
        .map((v) => v.trim())
        .filter(Boolean);
      const owned = backends.offers.get(ctn) ?? new Set<string>();
      for (const item of items) {
        if (backend === 'offer-insert') owned.add(item);
        else owned.delete(item);
      }
      backends.offers.set(ctn, owned);
    }
    if (backend === 'protocol') facts.NUMERO_PROTOCOLO = params.NUMERO_PROTOCOLO || backends.nextProtocol();
  } else if (backend === 'cell') {
    Object.assign(
      facts,
      positionFacts(cellKey(params.MCC ?? '0', params.MNC ?? '0', params.LAC ?? '0', params.CELLID ?? '0')),
    );
  } else if (backend === 'cell-bytes') {
    const name = service.inputs[0]?.name ?? 'CGIBYTES';
    const key = decodeCgiBytes(params[name] ?? '');
    if (!key)
      return failure(
        Status.parameter,
        `Invalid parameter [${name}]: expected 7 bytes in hex (BCD MCC/MNC, LAC, cell id), e.g. 27F45000DB0064`,
      );
    Object.assign(facts, positionFacts(key));
  } else if (backend === 'tac') {
    const imei = params.IMEI ?? '';
    const tac = imei.slice(0, 8);
    if (!tacTable.has(tac))
      return failure(
        Status.parameter,
        `Invalid parameter [IMEI]: TAC ${tac} is not in the simulator's TAC table`,
      );
    Object.assign(facts, imeiFacts(imei));
  } else if (backend === 'protocol') {
    facts.NUMERO_PROTOCOLO = params.NUMERO_PROTOCOLO || backends.nextProtocol();
  }

  return new Execution(Status.ok, undefined, delayMs, input.service.outputs, outputValues(input, facts));
}

function positionFacts(key: string): Record<string, string> {
  const p = positionOf(key);
  return { LATITUDE: p.latitude, LONGITUDE: p.longitude, AZIMUTE: p.azimuth, RADIUS: p.radius };
}

function imeiFacts(imei: string): Record<string, string> {
  const tac = imei.slice(0, 8);
  const device = tacTable.get(tac);
  return {
    IMEI: imei,
    TAC: tac,
    ...(device ? { MODELMANUFACTURER: device.manufacturer, MODELNAME: device.model } : {}),
  };
}

/** Where each output of a service sits in its entry, by name; kept per service, asked per request. */
const outputPositions = new WeakMap<Service, Map<string, number>>();
function outputPosition(service: Service, name: string): number | undefined {
  let positions = outputPositions.get(service);
  if (!positions) {
    positions = new Map(service.outputs.map((o, i) => [o.name, i]));
    outputPositions.set(service, positions);
  }
  return positions.get(name);
}

/**
 * The values of the service's outputs, in the order of its entry (undefined for an output not given): echoed
 * inputs (ANUM/BNUM swapped for SMS), values derived from another output (MSGSTATUS from
 * SMPP_MESSAGE_STATUS), and the back-end's facts.
 */
function outputValues(input: ExecutionInput, facts: Record<string, string>): (string | undefined)[] {
  const entry = input.service.outputs;
  const values: (string | undefined)[] = [];
  for (const output of entry)
    values.push(
      output.echoes ? (input.params[output.echoes] ?? input.defaultOriginator) : facts[output.name],
    );
  for (let i = 0; i < entry.length; i++) {
    const derived = entry[i]!.derivedFrom;
    if (!derived) continue;
    const at = outputPosition(input.service, derived.output);
    const from = at === undefined ? undefined : values[at];
    // A required output is sent even without its source (MSGSTATUS after a hand-off only: not known delivered).
    if (from === undefined && !entry[i]!.required) continue;
    const mapped = (from !== undefined ? derived.map[from] : undefined) ?? derived.map['*'];
    if (mapped !== undefined) values[i] = mapped;
  }
  return values;
}
