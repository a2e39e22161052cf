/**
 * Test support: runs the partner suite's check definitions in this process, without a vitest run per
 * target, so that the same suite runs against the reference partner and every broken partner in seconds.
 * The verdicts come from the runner's own decideVerdict; the CLI test covers the real vitest runner.
 */

import type { RunConfig } from '../../src/checks/config.ts';
import { type CheckDefinition, executeCheck } from '../../src/checks/kernel.ts';
import type { RunContext } from '../../src/checks/types.ts';
import { decideVerdict } from '../../src/checks/verdict.ts';
import { emptyConfig } from '../../src/cli/run.ts';
import type { Exchange, Verdict } from '../../src/core/model.ts';
import { definitions as mo } from '../../suites/partner/families/mo.ts';
import { definitions as receipts } from '../../suites/partner/families/receipts.ts';
import { definitions as robustness } from '../../suites/partner/families/robustness.ts';
import { definitions as ussd } from '../../suites/partner/families/ussd.ts';
import { type PartnerConfig, partnerEnv } from '../../suites/partner/harness.ts';

export interface Executed {
  id: string;
  rule: string;
  verdict: Verdict;
  message?: string;
  exchanges: Exchange[];
}

export function partnerRun(
  target: string,
  partner: PartnerConfig = {},
  options: { strict?: boolean; requestMs?: number } = {},
): RunContext {
  const config: RunConfig = emptyConfig();
  config.partner = partner as Record<string, unknown>;
  if (options.requestMs) config.timeouts.requestMs = options.requestMs;
  return {
    role: 'partner',
    strict: options.strict ?? false,
    only: [],
    skip: [],
    target,
    config,
    secrets: [partner.credentials?.pwd].filter((s): s is string => !!s),
    embedded: false,
  };
}

export function allDefinitions(run: RunContext): CheckDefinition[] {
  const env = partnerEnv(run);
  return [...receipts(env), ...mo(env), ...ussd(env), ...robustness(env)];
}

export async function executeChecks(run: RunContext): Promise<Map<string, Executed>> {
  const results = new Map<string, Executed>();
  await Promise.all(
    allDefinitions(run).map(async (def) => {
      const { outcome, message, exchanges } = await executeCheck(def, run);
      const r: Executed = {
        id: def.meta.id,
        rule: def.meta.rule,
        verdict: decideVerdict(outcome, def.meta.level, run.strict),
        exchanges,
      };
      if (message) r.message = message;
      results.set(def.meta.id, r);
    }),
  );
  return results;
}
