import { registerChecks, runContext } from '../../src/checks/kernel.ts';
import { definitions } from './families/mo.ts';
import { partnerEnv } from './harness.ts';

registerChecks(definitions(partnerEnv(runContext())));
