import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/security.ts';

registerChecks(definitions());
