import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/envelope.ts';

registerChecks(definitions());
