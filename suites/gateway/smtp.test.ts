import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/smtp.ts';

registerChecks(definitions());
