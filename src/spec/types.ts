/**
 * The contract as TypeScript types. The data lives in `spec/` (YAML and DTDs);
 * these types describe it and `load.ts` reads it once.
 */

export type { Level } from '../core/model.ts';

import type { Level } from '../core/model.ts';

/**
 * The level of one derived rule, and the errata entries its reading rests on. A reading the document does not
 * state in words (an inference from examples or silence) rests on an entry, and a `strict-only` entry allows
 * SHOULD at most: the loader refuses a MUST that rests on one.
 */
export interface Obligation {
  level: Level;
  errata?: string[];
}

/** The three execution modes of 6.2, by their canonical (example) spelling. */
export type Mode = 'async-oneway' | 'async-delivery' | 'sync';

export type Direction = 'partner-to-mse' | 'mse-to-partner' | 'smtp';

/**
 * How a service is reached:
 * - `api`: partner calls GET/POST /MSE/api with query or form parameters;
 * - `ussd-command`: partner POSTs a `ussd_message_request` XML to /MSE/ussd;
 * - `ussd-event`: MSE POSTs a `ussd_message_response` XML to the partner;
 * - `mo-delivery`: MSE delivers a subscriber's message to the partner (SMS MO, MMS MO, WIB MO);
 * - `smtp`: the partner's mail server talks SMTP to the MSE (chapter 10).
 */
export type ServiceKind = 'api' | 'ussd-command' | 'ussd-event' | 'mo-delivery' | 'smtp';

export interface Format {
  id: string;
  description: string;
  pattern: string;
  /** Values the format accepts; checks use them as "just inside" samples. */
  valid: string[];
  /** Values the format refuses; checks use them as "just outside" samples. */
  invalid: string[];
  section?: string;
}

export interface Constraint {
  /** Maximum length in characters (Unicode code points), never bytes. */
  maxLength?: number;
  minLength?: number;
  /** Name of an entry of spec/formats.yaml. */
  format?: string;
  enum?: string[];
  /** Values that are refused even though the type allows them (USSD indexes 0, 8, 9). */
  notIn?: string[];
  /** Split the value on this separator and apply the constraint to each item. */
  listSeparator?: string;
}

export interface InputParameter extends Constraint {
  name: string;
  type: 'string' | 'integer';
  required: boolean;
  description: string;
  /** Where the value travels: a query/form parameter (default), a USSD head or command element. */
  in?: 'query' | 'head' | 'command' | 'response';
  /** A value that satisfies every constraint; used to build valid requests. */
  sample: string;
  /** Level of the constraint rules derived from this parameter (default MUST). */
  level?: Level;
  /** Errata entries the constraint rules of this parameter rest on. */
  errata?: string[];
  /** Level of one constraint rule when it differs from `level` (AMOUNT: at most 6 is stated, digits only is not). */
  levels?: Partial<Record<'type' | 'maxLength' | 'minLength' | 'format' | 'enum' | 'notIn', Obligation>>;
  /** Where the document states the parameter, when not the service's own section. */
  section?: string;
  /**
   * The parameter becomes required when another input is present (no `equals`) or has one of the
   * `equals` values (GERAR_PROTOCOLO: TIPO_RETORNO when SITUACAO is PROCEDENTE or FECHADO).
   */
  requiredWhen?: { input: string; equals?: string[]; level: Level; errata?: string[] };
}

export interface Group {
  /** Rule id of the group; the catalogue takes it as is. */
  rule: string;
  kind: 'exactly-one' | 'at-most-one' | 'one-or-other';
  members: string[];
  level: Level;
  text: string;
  errata?: string[];
}

/** The rules derived from an output parameter, by the key of their level in `OutputParameter.levels`. */
export type OutputRuleKind = 'present' | 'format' | 'enum' | 'echoes' | 'notBefore' | 'derived';

export interface OutputParameter {
  name: string;
  description: string;
  format?: string;
  enum?: string[];
  required: boolean;
  /** The output carries the value of this input parameter (ANUM/BNUM are swapped in SMS receipts). */
  echoes?: string;
  /** The value must not be earlier than this other output (same format). */
  notBefore?: string;
  /** The value is determined by another output: map from that output's value to this one's, `*` for any other. */
  derivedFrom?: { output: string; map: Record<string, string> };
  /** The value is the first `length` characters of another output of the same response (TAC of IMEI). */
  prefixOf?: { output: string; length: number };
  deprecated?: boolean;
  /** Level of each derived rule; MUST where the entry gives none (6.3: outputs are always present). */
  levels?: Partial<Record<OutputRuleKind, Obligation>>;
}

export interface ServiceRule {
  id: string;
  level: Level;
  text: string;
  section?: string;
  tags?: string[];
  /** Why no run can observe the rule (see Rule.unobservable). */
  unobservable?: string;
  errata?: string[];
}

export interface Example {
  /** Path under fixtures/, e.g. `document/6.4.1-request.url`. */
  fixture: string;
  kind:
    | 'request'
    | 'ack'
    | 'execution-response'
    | 'receipt'
    | 'failure'
    | 'mo'
    | 'command'
    | 'event'
    | 'payload';
  /** Ids of errata entries that make the example depart from the contract; empty when it conforms. */
  errata?: string[];
  /** When the errata make the example invalid against the contract. */
  conforms: boolean;
}

/** The simulated platforms behind the api services (SMSC, handset push, directory, ...). */
export type Backend =
  | 'smsc'
  | 'handset-push'
  | 'directory'
  | 'billing'
  | 'cell'
  | 'cell-bytes'
  | 'lbs-torpedo'
  | 'tac'
  | 'imei-torpedo'
  | 'offer-insert'
  | 'offer-delete'
  | 'protocol';

export interface Service {
  id: string;
  /** Prefix of the service's rule ids (`sms-text`). */
  slug: string;
  section: string;
  title: string;
  summary: string;
  kind: ServiceKind;
  direction: Direction;
  /** Group used by the docs index, as the document groups services. */
  group:
    | 'sms'
    | 'mms'
    | 'billing'
    | 'location'
    | 'wap-wib'
    | 'imei'
    | 'subscriber'
    | 'ussd'
    | 'offers'
    | 'protocol'
    | 'smtp';
  endpoint?: string;
  /** For an api service: which back-end of the reference simulator executes it. */
  backend?: Backend;
  /** For a ussd-command service: the command element it sends (6.4.18–6.4.20). */
  ussdCommand?: 'menu' | 'input' | 'notify';
  methods: string[];
  modes: {
    allowed: Mode[];
    refused: Mode[];
    recommended?: Mode;
    /** Sentence of the document that states the mode restriction, in English. */
    note?: string;
    section?: string;
    /** Level of the rule of each mode, allowed or refused; MUST where none is given. */
    levels?: Partial<Record<Mode, Obligation>>;
  };
  /** `required` when profiles of the service usually demand billingCode (6.4.9). */
  billingCode?: 'profile' | 'required';
  inputs: InputParameter[];
  groups?: Group[];
  outputs: OutputParameter[];
  outputGroups?: Group[];
  /** Shape of the receipt POSTed in async-delivery; `none` when the service has no receipt. */
  receipt: 'sms' | 'execution-response' | 'none';
  smpp?: { dataCoding?: number; esmClass?: number; level?: Level; errata?: string[] };
  /** Failure responses the document shows for the service. */
  failures?: {
    statusCode: number;
    errorMessage?: string;
    when: string;
    section?: string;
    /** MUST unless set: SHOULD where only an example shows the code. */
    level?: Level;
    /** The request that provokes it: the valid request with `input` left out, or set to `value`. */
    stimulus?: { input: string; value?: string };
    errata?: string[];
  }[];
  /**
   * The bytes of several inputs together may not exceed `maxBytes` (their UTF-8 bytes; what the platform adds,
   * such as WAP headers, is not counted, since the document does not say how much it is).
   */
  payloadLimit?: { rule: string; inputs: string[]; maxBytes: number };
  rules?: ServiceRule[];
  examples: Example[];
  /** Ids of errata entries that touch the service. */
  errata?: string[];
}

export interface StatusCode {
  code: number;
  meaning: string;
  /** `document`: shown in the source document; `field`: answered by real gateways; `project`: chosen here. */
  source: 'document' | 'field' | 'project';
  section?: string;
  errorMessage?: string;
}

export interface Rule {
  id: string;
  section: string;
  level: Level;
  text: string;
  /** Service id when the rule belongs to one service. */
  service?: string;
  tags: string[];
  /**
   * Why no run can observe the rule from outside (what the MSE sends to other platforms, what happens on the
   * handset, ...). Only a rule with a reason may go without a check (`mse-conformance spec coverage`).
   */
  unobservable?: string;
  /** Where the rule was written: `rules.yaml` or the service file it was derived from. */
  origin: string;
  /** Errata entries the rule's reading rests on (a `strict-only` one allows SHOULD at most). */
  errata?: string[];
}

export interface ErrataEntry {
  id: string;
  title: string;
  sections: string[];
  /** The reading this project chose. */
  reading: string;
  /**
   * How far the reading binds a target: `always` (at the level of the rules resting on it), `strict-only` (a
   * target may reasonably read otherwise, so every rule resting on it is SHOULD at most: non-strict unless
   * --strict) or `informational` (no rule rests on it; it explains fixtures and docs).
   */
  strictness: 'strict-only' | 'always' | 'informational';
  body: string;
}

export interface Protocol {
  endpoints: { api: string; ussd: string };
  modes: {
    canonical: Mode[];
    /** Every accepted spelling per canonical mode (`assync-delivery` → async-delivery). */
    spellings: Record<Mode, string[]>;
    /** USSD spellings of 6.4.18 (`async`, `assync`). */
    ussd: Record<string, Mode>;
  };
  controlParameters: {
    name: string;
    aliases?: string[];
    required: boolean | 'profile';
    description: string;
    section: string;
  }[];
  syncTimeoutSeconds: number;
  shortNumbers: { trial: string; production: string };
  ussd: {
    pageChars: number;
    maxPages: number;
    previous: string;
    next: string;
    reservedIndexes: string[];
    notice: string;
    limits: { name: string; suggested?: number; notRecommended?: number; limited: number }[];
  };
  smtp: { domainChars: number };
  encodings: { response: string; receipt: string; smsMo: string; mmsMo: string; ussd: string };
  /** Where each kind of delivery goes under a partner's base URL, and which services it carries. */
  deliveries: Record<DeliveryKind, DeliveryRoute>;
}

/** What the MSE sends to a partner: receipts, the three MO kinds and USSD events. */
export type DeliveryKind = 'receipt' | 'sms-mo' | 'mms-mo' | 'wib-mo' | 'ussd-event';

export interface DeliveryRoute {
  path: string;
  method: 'GET' | 'POST';
  section: string;
  /** The MO or USSD event services delivered this way (receipts: every service with a receipt). */
  services: string[];
}

export interface Spec {
  root: string;
  protocol: Protocol;
  formats: Map<string, Format>;
  services: Service[];
  statusCodes: StatusCode[];
  rules: Map<string, Rule>;
  errata: ErrataEntry[];
  /** SHA-256 of every file under spec/, in path order: names a spec version in reports. */
  hash: string;
}
