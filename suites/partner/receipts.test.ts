import { registerChecks, runContext } from '../../src/runner/register.ts';
import { definitions } from './families/receipts.ts';
import { partnerEnv } from './harness.ts';

registerChecks(definitions(partnerEnv(runContext())));
