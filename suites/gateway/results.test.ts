import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/results.ts';

registerChecks(definitions());
