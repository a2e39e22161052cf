import { registerChecks } from '../../src/runner/register.ts';
import { families } from './families/index.ts';

registerChecks(families.failures!());
