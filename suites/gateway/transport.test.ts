import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/transport.ts';

registerChecks(definitions());
