import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/mo.ts';

registerChecks(definitions());
