/**
 * The steps every request to the MSE goes through, /MSE/api and /MSE/ussd alike: the refusal it may earn,
 * the mode and its spellings (6.2), whether the profile may use the mode.
 */
import type { Mode, Service } from '../spec/types.ts';
import type { SimContext } from './context.ts';
import { Status } from './status.ts';
import type { ProfileConfig } from './types.ts';

/** A refusal of the pipeline: the status code and the error-message of the mse-response. */
export class Refusal {
  constructor(
    readonly statusCode: number,
    readonly errorMessage: string,
    readonly httpStatus = 200,
  ) {}
}

/** Canonical mode for any accepted spelling (`assync-delivery` → async-delivery), or undefined. */
export function canonicalMode(ctx: SimContext, spelling: string): Mode | undefined {
  return lookupsOf(ctx.spec).modes.get(spelling);
}

// Lookups into the spec's protocol, built once per spec instead of searched on every request.
const lookups = new WeakMap<
  SimContext['spec'],
  { modes: Map<string, Mode>; controlNames: Map<string, string[]> }
>();

/** The mode of every spelling, and the names (with aliases) of every control parameter (6.2). */
export function lookupsOf(spec: SimContext['spec']) {
  let l = lookups.get(spec);
  if (!l) {
    const modes = new Map<string, Mode>();
    for (const [mode, spellings] of Object.entries(spec.protocol.modes.spellings))
      for (const s of spellings) if (!modes.has(s)) modes.set(s, mode as Mode);
    const controlNames = new Map(
      spec.protocol.controlParameters.map((c) => [c.name, [c.name, ...(c.aliases ?? [])]]),
    );
    l = { modes, controlNames };
    lookups.set(spec, l);
  }
  return l;
}

/**
 * Whether a profile may use a mode for its service: modes the service refuses are refused; modes it
 * allows are allowed unless the profile narrows them; modes the entry does not mention only when the
 * profile lists them.
 */
export function checkMode(
  service: Service,
  profile: ProfileConfig,
  mode: Mode,
  spelled: string,
): Refusal | undefined {
  if (service.modes.refused.includes(mode))
    return new Refusal(
      Status.mode,
      `Mode ${spelled} is refused by ${service.id} (${service.modes.section ?? service.section})${service.modes.note ? `: ${service.modes.note.replace(/\.$/, '')}` : ''}; use ${service.modes.allowed.join(' or ')}`,
    );
  const allowedByService = service.modes.allowed.includes(mode);
  if (profile.modes ? !profile.modes.includes(mode) : !allowedByService)
    return new Refusal(
      Status.mode,
      `Mode ${spelled} is not enabled for profile ${profile.id}; it allows ${(profile.modes ?? service.modes.allowed).join(', ')}`,
    );
  return undefined;
}
