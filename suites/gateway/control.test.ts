import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/control.ts';

registerChecks(definitions());
