import { registerChecks } from '../../src/runner/register.ts';
import { definitions } from './families/receipts.ts';

registerChecks(definitions());
