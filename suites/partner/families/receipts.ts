/**
 * Receipts (6.4.1.1): for every service of the spec that has a receipt, every shape that receipt takes
 * (each SMS outcome of SMPP_MESSAGE_STATUS, an execution response with the service's outputs, each failure
 * the document shows), POSTed to the partner as the MSE does; the partner must answer exactly HTTP 200.
 */

import type { CheckDefinition } from '../../../src/checks/kernel.ts';
import { expandRows, type PlacedRow, row } from '../../../src/checks/rows.ts';
import { sendReceipt } from '../../../src/partner/client.ts';
import { groupBounds } from '../../../src/spec/judge.ts';
import type { OutputParameter, Service } from '../../../src/spec/types.ts';
import type { MseResponse } from '../../../src/xml/mse-response.ts';
import { expect200, meta, missingEndpoint, type PartnerEnv, record, transactionId } from '../harness.ts';

export interface ReceiptShape {
  variant: string;
  build(transactionId: string): MseResponse;
}

/** The value the MSE would put in an output: echoed input, enum member, a valid sample of its format. */
function outputValue(
  env: PartnerEnv,
  service: Service,
  output: OutputParameter,
  chosen: Map<string, string>,
): string {
  const fixed = chosen.get(output.name);
  if (fixed !== undefined) return fixed;
  if (output.echoes) {
    const input = service.inputs.find((i) => i.name === output.echoes);
    return input?.format === 'msisdn10' ? env.subscriber : (input?.sample ?? env.subscriber);
  }
  if (output.derivedFrom) {
    const from = chosen.get(output.derivedFrom.output) ?? '';
    return output.derivedFrom.map[from] ?? output.derivedFrom.map['*'] ?? '';
  }
  if (output.enum?.length) return output.enum[0]!;
  const format = output.format ? env.spec.formats.get(output.format) : undefined;
  if (format?.valid.length) return format.valid[format.valid.length - 1]!;
  return `Sample ${output.name.toLowerCase().replace(/_/g, ' ')}`;
}

/** The outputs a receipt carries: the required ones, and one member of each group that allows only one. */
function receiptParameters(env: PartnerEnv, service: Service, chosen: Map<string, string>) {
  const excluded = new Set<string>();
  for (const g of service.outputGroups ?? []) {
    if (groupBounds(g.kind).max !== 1) continue;
    const pick = g.members.find((m) => chosen.has(m)) ?? g.members[0]!;
    for (const m of g.members) if (m !== pick) excluded.add(m);
  }
  return service.outputs
    .filter((o) => !excluded.has(o.name))
    .filter(
      (o) =>
        o.required ||
        chosen.has(o.name) ||
        o.derivedFrom ||
        (service.outputGroups ?? []).some((g) => g.members.includes(o.name)),
    )
    .filter((o) => !o.derivedFrom || chosen.has(o.derivedFrom.output))
    .map((o) => ({ name: o.name, value: outputValue(env, service, o, chosen) }));
}

/** Every shape a service's receipt takes, from its entry in the spec. */
export function receiptShapes(env: PartnerEnv, service: Service): ReceiptShape[] {
  const profile = env.run.config.profiles[service.id]?.profile ?? `${service.slug}-profile`;
  const shapes: ReceiptShape[] = [];
  const success = (variant: string, chosen: Map<string, string>) =>
    shapes.push({
      variant,
      build: (tid) => ({
        statusCode: 0,
        profile,
        transactionId: tid,
        parameters: receiptParameters(env, service, chosen),
      }),
    });
  // An SMS receipt ends on the SMSC's delivery receipt: one shape per outcome the enum allows.
  const outcome = service.outputs.find((o) => o.enum?.length && !o.derivedFrom && !o.deprecated);
  if (service.receipt === 'sms' && outcome)
    for (const value of outcome.enum!) success(value.toLowerCase(), new Map([[outcome.name, value]]));
  else success('success', new Map());
  for (const failure of service.failures ?? [])
    shapes.push({
      variant: `failure-${failure.statusCode}`,
      build: (tid) => {
        const r: MseResponse = { statusCode: failure.statusCode, profile, transactionId: tid };
        if (failure.errorMessage !== undefined) r.errorMessage = failure.errorMessage;
        return r;
      },
    });
  return shapes;
}

/** One shape of one service's receipt. */
interface Receipt {
  service: Service;
  shape: ReceiptShape;
  env: PartnerEnv;
}

const rows: PlacedRow<Receipt>[] = [
  row<Receipt>({
    rule: 'receipts.partner.answers-200',
    variant: (t) => t.shape.variant,
    stimulus: (t) =>
      `a ${t.service.id} receipt (${t.shape.variant}) POSTed to the partner's receipt URL with a new transaction-id, as the MSE sends it (6.4.1.1)`,
    skipReason: (t) => missingEndpoint(t.env, 'receipts'),
    judge: async (ctx, { env, service, shape }) => {
      const sent = await sendReceipt(env.endpoints.receipts!, shape.build(transactionId()), {
        ...(env.credentials ? { credentials: env.credentials } : {}),
        timeoutMs: env.timeoutMs,
      });
      const a = record(ctx, env, `MSE → partner: ${service.id} receipt (${shape.variant})`, sent);
      expect200(ctx, a, `${service.id} receipt (${shape.variant})`);
    },
  }),
];

export function definitions(env: PartnerEnv): CheckDefinition[] {
  const receipts = env.spec.services
    .filter((s) => s.receipt !== 'none')
    .flatMap((service) => receiptShapes(env, service).map((shape) => ({ service, shape, env })));
  return expandRows((rule, o) => meta(env, 'receipts', rule, o), receipts, rows);
}
