/**
 * Preloaded into Artillery (`node --require`) by `mse-conformance load --run`. Artillery 2.0.21 still
 * creates a PostHog client and sends an event (anonymised, but a call home all the same) when
 * ARTILLERY_DISABLE_TELEMETRY is set (lib/telemetry.js); a load test must not talk to anyone but the
 * gateway and the sink, so the client is replaced by one that sends nothing.
 */
'use strict';

const Module = require('node:module');

class PostHog {
  capture() {}
  async shutdownAsync() {}
  async shutdown() {}
}

const load = Module._load;
Module._load = function loadWithoutTelemetry(request, ...rest) {
  if (request === 'posthog-node') return { PostHog };
  return load.call(this, request, ...rest);
};
