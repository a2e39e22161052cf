import { UsageError } from './common.ts';

// Placeholder until the command lands; it says so instead of pretending to work.
export async function partnerCommand(_args: string[]): Promise<number> {
  throw new UsageError('the "partner" command is not implemented yet', 'MSE_NOT_IMPLEMENTED');
}
