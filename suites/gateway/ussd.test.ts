import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/ussd.ts';

registerChecks(definitions());
