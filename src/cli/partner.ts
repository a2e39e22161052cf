/**
 * `mse-conformance partner`: plays the MSE against a partner's endpoints (receipts, SMS MO, MMS MO, USSD
 * events) and judges the answers against the spec. Without --target or endpoint URLs it starts the embedded
 * reference partner and certifies that. Same options, config, expectations, reports and exit codes as
 * `gateway` (src/cli/run.ts), plus the endpoint URLs and --bundle.
 */
import { randomBytes } from 'node:crypto';
import type { RunConfig } from '../checks/config.ts';
import { PARTNER_PATHS, type PartnerEndpoints } from '../partner/client.ts';
import { type ReferencePartner, startReferencePartner } from '../partner/reference.ts';
import { loadSpec } from '../spec/load.ts';
import { ExitCode, parseOptions, UsageError } from './common.ts';
import {
  type CommonValues,
  commonOptions,
  probeReachable,
  type RoleAdapter,
  type RoleSession,
  type RoleSetup,
  readConfig,
  runRole,
  secretsOf,
} from './run.ts';

export const PARTNER_SUITE_DIR = 'suites/partner';

const HELP = `Usage: mse-conformance partner [options]

Plays the MSE against a partner's endpoints and checks that they take what the MSE delivers (6.4.1.1
receipts, 6.4.5.1 SMS MO in ISO-8859-1, 6.4.7.1 MMS MO, 6.4.21-6.4.23 USSD events).
Without --target (or endpoint URLs) it starts the embedded reference partner and certifies that.

Options:
  --target URL         partner base URL: receipts at URL/receipt, SMS MO at URL/mo/sms, MMS MO at
                       URL/mo/mms, USSD events at URL/ussd (each can be given on its own instead)
  --receipts URL       the partner's receipt URL (config partner.receipts)
  --mo URL             the partner's SMS MO URL (config partner.smsMo)
  --mms URL            the partner's MMS MO URL (config partner.mmsMo)
  --ussd URL           the partner's USSD URL (config partner.ussd)
  --config FILE        run config (spec/schema/config.schema.json); partner.credentials are the userid/pwd
                       (USER/PWD) the MSE delivers with, partner.answerBudgetMs the time budget
  --only PATTERN       run only matching checks (repeatable, comma-separated): a glob on the check id,
                       or family:, service:, rule:, tag:, level: followed by a glob
  --skip PATTERN       leave matching checks out (same patterns)
  --strict             SHOULD-level departures fail the run
  --list               print every check id with its rule, section and level, without running
  --expectations FILE  known failures by check id (spec/schema/expectations.schema.json)
  --report FORMATS     json,junit,html,md (default: all four)
  --out DIR            write the reports there
  --serve              do not test: run the reference partner (receipts, MO, USSD; inbox at /) until
                       Ctrl-C, e.g. as the callback of \`mse-conformance simulate\`; with --host, --port;
                       partner.credentials and profiles.USSD_MENU of --config configure it
  --bundle PATH        write a certification bundle (a directory, or a tar archive if PATH ends in .tar);
                       check it later with: mse-conformance verify PATH
  --sign KEY           sign the bundle's manifest with this Ed25519 private key (PEM file);
                       check it with: mse-conformance verify PATH --key PUBLIC-KEY
  --quiet              no progress or summary on stdout

Exit codes: 0 conformant, 1 nonconformance found, 2 usage or config error, 3 target unreachable.`;

export const partnerOptions = {
  ...commonOptions,
  receipts: { type: 'string' },
  mo: { type: 'string' },
  mms: { type: 'string' },
  ussd: { type: 'string' },
  bundle: { type: 'string' },
  sign: { type: 'string' },
  serve: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
} as const;

export interface PartnerValues extends CommonValues {
  receipts?: string;
  mo?: string;
  mms?: string;
  ussd?: string;
  bundle?: string;
  sign?: string;
  serve?: boolean;
  host?: string;
  port?: string;
}

/** The embedded reference partner answers at once: the run need not wait long for anything. */
const EMBEDDED_REQUEST_MS = 5_000;

export async function partnerCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, partnerOptions);
  if (values.help) {
    console.log(HELP);
    return ExitCode.Ok;
  }
  if (values.serve) return servePartner(values as PartnerValues);
  return runPartner(values as PartnerValues);
}

/** `--serve`: the reference partner as a local application, until SIGINT or SIGTERM. */
export async function servePartner(
  values: PartnerValues,
  out: (line: string) => void = console.log,
): Promise<number> {
  const config = readConfig(values);
  const port = Number(values.port ?? '8090');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${values.port} is not a port number (0-65535)`, 'MSE_USAGE');
  const credentials = (config.partner as { credentials?: { userid?: string; pwd?: string } } | undefined)
    ?.credentials;
  const ussd = config.profiles.USSD_MENU;
  let partner: ReferencePartner;
  try {
    partner = await startReferencePartner({
      host: values.host ?? '127.0.0.1',
      port,
      ...(credentials?.userid && credentials.pwd
        ? { credentials: { userid: credentials.userid, pwd: credentials.pwd } }
        : {}),
      ...(ussd ? { ussdProfile: { profile: ussd.profile, password: ussd.password } } : {}),
    });
  } catch (error) {
    throw new UsageError(
      `cannot listen on ${values.host ?? '127.0.0.1'}:${port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): choose another --port`,
      'MSE_LISTEN',
    );
  }
  out(`reference partner at ${partner.url} (inbox: ${partner.url}/ , JSON: ${partner.url}/inbox)`);
  out(
    `  receipts ${partner.receiptsUrl}\n  SMS MO   ${partner.moUrl}\n  MMS MO   ${partner.mmsUrl}\n  USSD     ${partner.ussdUrl}`,
  );
  out(
    credentials?.userid
      ? `  credentials required: userid/USER ${credentials.userid}`
      : '  no credentials required',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await partner.close();
  return ExitCode.Ok;
}

/**
 * Can a connection be opened to each endpoint, within the probe's own short budget? Only a connection that
 * cannot be opened means exit 3: a partner that answers slowly is reachable, runs its checks, and
 * partner.answer.time-budget says how slow it is.
 */
async function probeEndpoints(endpoints: PartnerEndpoints): Promise<string | undefined> {
  const problems: string[] = [];
  await Promise.all(
    Object.entries(endpoints).map(async ([name, url]) => {
      const problem = await probeReachable(url as string);
      if (problem) problems.push(`${name} ${url}: ${problem}`);
    }),
  );
  return problems.length ? problems.join('; ') : undefined;
}

/** The whole command, callable from code (tests) with parsed values. */
export async function runPartner(
  values: PartnerValues,
  out: (line: string) => void = console.log,
): Promise<number> {
  return (await runRole(partnerRole, values, out)).code;
}

/** The endpoint options, each with the config key it overrides. */
const ENDPOINT_OPTIONS: [keyof PartnerEndpoints, 'receipts' | 'mo' | 'mms' | 'ussd'][] = [
  ['receipts', 'receipts'],
  ['smsMo', 'mo'],
  ['mmsMo', 'mms'],
  ['ussd', 'ussd'],
];

/** The config's partner section with the endpoint URLs given as options, and whether any endpoint is named. */
interface PartnerOptions {
  partnerConfig: Record<string, unknown>;
  anyEndpoint: boolean;
}

/** The partner role: it plays the MSE, so it delivers to the partner's endpoints. */
const partnerRole: RoleAdapter<PartnerValues, PartnerOptions> = {
  role: 'partner',
  suiteDir: PARTNER_SUITE_DIR,
  readConfig,
  parse: (values, config) => {
    const partnerConfig = { ...(config.partner ?? {}) } as Record<string, unknown>;
    for (const [key, option] of ENDPOINT_OPTIONS) {
      const url = values[option];
      if (!url) continue;
      if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url))
        throw new UsageError(`--${option} ${url} is not an http:// or https:// URL`, 'MSE_USAGE');
      partnerConfig[key] = url;
    }
    const anyEndpoint = ENDPOINT_OPTIONS.some(([key]) => typeof partnerConfig[key] === 'string');
    return { partnerConfig, anyEndpoint };
  },
  open: openPartner,
};

type PartnerSetup = RoleSetup<PartnerValues, PartnerOptions>;

/** The embedded reference partner when no target or endpoint is given, else the endpoints' probe. */
async function openPartner(
  setup: PartnerSetup,
  defer: (close: () => Promise<void>) => void,
): Promise<RoleSession | { unreachable: string }> {
  const { values, config, target } = setup;
  const { partnerConfig, anyEndpoint } = setup.options;
  const embedded = !target && !anyEndpoint && !values.list;
  let runConfig: RunConfig = { ...config, partner: partnerConfig };
  let runTarget = target ?? (anyEndpoint ? 'partner endpoints' : 'embedded reference partner');
  if (embedded) {
    const reference = await startEmbedded(partnerConfig);
    defer(() => reference.close());
    runTarget = reference.url;
    runConfig = {
      ...runConfig,
      partner: partnerConfig,
      timeouts: values.config ? config.timeouts : { ...config.timeouts, requestMs: EMBEDDED_REQUEST_MS },
    };
  } else if (!values.list) {
    const problem = await probeEndpoints(endpointsOf(partnerConfig, target));
    if (problem)
      return {
        unreachable: `mse-conformance partner: the partner is unreachable: ${problem} (MSE_TARGET_UNREACHABLE). Check the URLs and that the partner application is running.`,
      };
  }
  const endpointsOnly = !embedded && !target;
  if (endpointsOnly && anyEndpoint)
    runTarget = ENDPOINT_OPTIONS.filter(([key]) => typeof partnerConfig[key] === 'string')
      .map(([key]) => `${key} ${partnerConfig[key]}`)
      .join(', ');
  return {
    context: {
      target: runTarget,
      config: runConfig,
      secrets: secretsOf(runConfig),
      embedded,
      ...(endpointsOnly ? { extra: { endpointsOnly: true } } : {}),
    },
    // A check sends at most two deliveries (duplicates); each may take the request timeout.
    testTimeoutMs: runConfig.timeouts.requestMs * 2 + 5_000,
    // The matrix lists every rule a check cites, and every partner rule, covered or not, with its text.
    bundle: (report) => {
      const cited = new Set(report.checks.map((c) => c.rule));
      return {
        rules: [...loadSpec().rules.values()].filter((r) => r.tags.includes('partner') || cited.has(r.id)),
      };
    },
  };
}

/** Starts the embedded reference partner; sets the run's credentials in the partner config it is given. */
async function startEmbedded(partnerConfig: Record<string, unknown>): Promise<ReferencePartner> {
  // Credentials of the run's own making, so that the wrong-credentials checks have something to refuse.
  const credentials = (partnerConfig.credentials as { userid?: string; pwd?: string } | undefined) ?? {
    userid: 'mse',
    pwd: randomBytes(9).toString('base64url'),
  };
  const reference = await startReferencePartner({
    credentials: { userid: credentials.userid ?? 'mse', pwd: credentials.pwd ?? '' },
  });
  partnerConfig.credentials = credentials;
  return reference;
}

/** Each endpoint's URL: the one given, else the target's path for it. */
function endpointsOf(partnerConfig: Record<string, unknown>, target: string | undefined): PartnerEndpoints {
  const endpoints: PartnerEndpoints = {};
  for (const [key] of ENDPOINT_OPTIONS) {
    const url =
      (partnerConfig[key] as string | undefined) ?? (target ? `${target}${PARTNER_PATHS[key]}` : undefined);
    if (url) endpoints[key] = url;
  }
  return endpoints;
}
