/**
 * What the runner shares between the CLI process and the vitest workers that run the checks, for both roles
 * (gateway and partner). Everything here crosses a thread boundary, so it is plain JSON.
 */
import type { Exchange } from '../core/model.ts';
import type { Level } from '../spec/types.ts';
import type { RunConfig } from './config.ts';

export type Role = 'gateway' | 'partner';

/** A check's identity, stated at collection time (test262's front matter, h2spec's Requirement). */
export interface CheckMeta {
  /** Stable id: `<role>.<family>.<rule id>[.<variant>]`. */
  id: string;
  rule: string;
  section: string;
  level: Level;
  family: string;
  service?: string;
  mode?: string;
  tags?: string[];
  /** The requirement in one English sentence. */
  requirement: string;
  /** What the check sends or makes happen, in one sentence (h2spec's Desc). */
  stimulus?: string;
  /** Where the check's row is defined: `suites/gateway/families/params.ts:142`. */
  row?: string;
}

/** What the check body observed, before strictness and expectations turn it into a verdict. */
export type Outcome = 'pass' | 'fail' | 'skip' | 'informational';

export interface CheckRecord {
  outcome: Outcome;
  message?: string;
  exchanges: Exchange[];
}

/** The run context every worker receives through vitest's `provide`/`inject`. */
export interface RunContext {
  role: Role;
  strict: boolean;
  /** `--only` / `--skip` patterns (see filters.ts). */
  only: string[];
  skip: string[];
  /** The target's base URL (gateway: the MSE; partner: the partner application). */
  target: string;
  /** The validated config with secrets: stays in memory, never written anywhere. */
  config: RunConfig;
  /** Every secret value of the config, masked in everything a check records. */
  secrets: string[];
  /** Base URL the target delivers to (gateway role). */
  listenerUrl?: string;
  /** The listener's suite-side API (gateway role). */
  listenerSuiteUrl?: string;
  /** True when the target is the embedded reference implementation started by the runner. */
  embedded: boolean;
  /** Free-form extras a role needs (e.g. the simulator's control URL). */
  extra?: Record<string, unknown>;
}

declare module 'vitest' {
  interface ProvidedContext {
    mseRun: RunContext;
  }
}

declare module '@vitest/runner' {
  interface TaskMeta {
    check?: CheckMeta;
    record?: CheckRecord;
    /** Why the check will be skipped, when that is known at collection time (a config gap). */
    skipReason?: string;
  }
}
