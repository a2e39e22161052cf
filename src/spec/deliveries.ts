import type { DeliveryKind, DeliveryRoute, Service, Spec } from './types.ts';

/** The route an MO or USSD event service is delivered by (spec/protocol.yaml `deliveries`). */
export function deliveryOf(spec: Spec, service: Service): { kind: DeliveryKind; route: DeliveryRoute } {
  for (const [kind, route] of Object.entries(spec.protocol.deliveries) as [DeliveryKind, DeliveryRoute][])
    if (route.services.includes(service.id)) return { kind, route };
  throw new Error(`${service.id} is delivered by no route of spec/protocol.yaml deliveries`);
}
