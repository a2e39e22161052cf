import { registerChecks } from '../../src/checks/kernel.ts';
import { families } from './families/index.ts';

registerChecks(families.failures!());
