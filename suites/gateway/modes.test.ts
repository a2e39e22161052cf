import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/modes.ts';

registerChecks(definitions());
