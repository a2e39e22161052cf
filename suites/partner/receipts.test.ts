import { registerChecks, runContext } from '../../src/checks/kernel.ts';
import { definitions } from './families/receipts.ts';
import { partnerEnv } from './harness.ts';

registerChecks(definitions(partnerEnv(runContext())));
