import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/params.ts';

registerChecks(definitions());
