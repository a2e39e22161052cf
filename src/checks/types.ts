/**
 * What the runner shares between the CLI process and the vitest workers that run the checks, for both roles
 * (gateway and partner). Everything here crosses a thread boundary, so it is plain JSON.
 */
import type { CheckIdentity, Exchange } from '../core/model.ts';
import type { RunConfig } from './config.ts';

export type Role = 'gateway' | 'partner';

/** A check's identity, stated at collection time: the report's CheckResult carries the same fields. */
export type CheckMeta = CheckIdentity;

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
