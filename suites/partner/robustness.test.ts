import { registerChecks, runContext } from '../../src/checks/kernel.ts';
import { definitions } from './families/robustness.ts';
import { partnerEnv } from './harness.ts';

registerChecks(definitions(partnerEnv(runContext())));
