/** Pact contracts generated from the spec, both directions, and the filter for the Latin-1 SMS MO query. */
export {
  exportPacts,
  latin1Header,
  latin1Literal,
  mseToPartnerPact,
  type PactExportOptions,
  type PactExportResult,
  type PactFile,
  type PactInteraction,
  type PactProfile,
  pactProfile,
  partnerPaths,
  partnerToMsePact,
} from './export.ts';
export { latin1RequestFilter, restoreLatin1Query } from './latin1.ts';
