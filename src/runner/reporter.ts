/**
 * The vitest reporter of the runner: turns every finished test into a CheckResult (src/core/model.ts) from
 * the metadata the check registered and the outcome it recorded, and prints progress (one line per family).
 */
import type { TestCase, TestModule } from 'vitest/node';
import { expectationFor } from '../checks/config.ts';
import type { CheckMeta, CheckRecord } from '../checks/types.ts';
import { decideVerdict } from '../checks/verdict.ts';
import type { CheckResult, Verdict } from '../core/model.ts';
import { maskSecrets } from '../core/secrets.ts';

export interface CollectorOptions {
  strict: boolean;
  expectations: Map<string, string>;
  secrets: string[];
  /** Progress lines; nothing when absent. */
  progress?: (line: string) => void;
}

export class CheckCollector {
  readonly results: CheckResult[] = [];
  readonly errors: string[] = [];
  constructor(private readonly options: CollectorOptions) {}

  onTestCaseResult(testCase: TestCase): void {
    const meta = testCase.meta() as { check?: CheckMeta; record?: CheckRecord };
    const check = meta.check;
    if (!check) return;
    const result = testCase.result();
    const diagnostic = testCase.diagnostic();
    let record = meta.record;
    if (!record) {
      // The body never ran to the point of recording (collection skip or a vitest timeout).
      const message =
        result.state === 'skipped'
          ? (result.note ?? 'skipped')
          : (result.errors?.[0]?.message ?? 'the check did not report an outcome');
      record = { outcome: result.state === 'skipped' ? 'skip' : 'fail', message, exchanges: [] };
    } else if (result.state === 'failed' && record.outcome === 'pass') {
      record = { ...record, outcome: 'fail', message: result.errors?.[0]?.message ?? 'failed' };
    }
    const expectation = expectationFor(this.options.expectations, check.id);
    const verdict: Verdict = decideVerdict(record.outcome, check.level, this.options.strict, expectation);
    const out: CheckResult = {
      ...check,
      verdict,
      durationMs: Math.round(diagnostic?.duration ?? 0),
      exchanges: record.exchanges,
    };
    let message = record.message;
    if (verdict === 'unexpected-pass')
      message = 'passed, but the expectations file lists it as a known failure';
    if (message) out.message = maskSecrets(message, this.options.secrets);
    if (expectation !== undefined) out.expectation = expectation;
    this.results.push(out);
  }

  onTestModuleEnd(testModule: TestModule): void {
    if (!this.options.progress) return;
    const counts = new Map<string, number>();
    let family = '';
    for (const tc of testModule.children.allTests()) {
      const check = (tc.meta() as { check?: CheckMeta }).check;
      if (!check) continue;
      family = check.family;
      const r = this.results.find((x) => x.id === check.id);
      if (r) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
    }
    const errors = testModule.errors();
    if (!counts.size && !errors.length) return;
    if (errors.length)
      this.errors.push(
        ...errors.map((e) => `${testModule.moduleId}: ${maskSecrets(e.message, this.options.secrets)}`),
      );
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const parts = [...counts.entries()].map(([v, n]) => `${n} ${v}`).join(', ');
    const name =
      family ||
      testModule.moduleId
        .split('/')
        .pop()
        ?.replace(/\.test\.ts$/, '') ||
      '?';
    this.options.progress(
      `  ${name.padEnd(10)} ${String(total).padStart(4)} checks  ${parts}${errors.length ? '  (errors while loading)' : ''}`,
    );
  }

  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<{ message?: string }>,
  ): void {
    for (const e of unhandledErrors)
      this.errors.push(maskSecrets(e.message ?? String(e), this.options.secrets));
  }
}
