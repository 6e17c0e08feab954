import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

/**
 * Preload module (`node --import tsx --import ./bench/fleet-jose-baseline.ts`) that makes
 * fleet/ingest.ts open events with the jose opener of protocol/envelope.ts in place of the
 * node:crypto one, so bench/fleet.ts can measure the old opener as a baseline in the same run
 * without a switch in product code. Both modules export `openEvent` with the same signature.
 *
 * The resolve hook runs on the loader thread and reports each redirect over a message port.
 * `joseBaselineActive()` returns whether a redirect happened, so the benchmark child can check it.
 */

const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  if (specifier === '../protocol/envelope-open.js' && context.parentURL !== undefined && context.parentURL.endsWith('/fleet/ingest.ts')) {
    port.postMessage(context.parentURL);
    return next('../protocol/envelope.js', context);
  }
  return next(specifier, context);
}
`;

const redirectedFrom: string[] = [];
const channel = new MessageChannel();
channel.port1.on('message', (parentUrl: string) => redirectedFrom.push(parentUrl));
// The port must not keep the process alive once the benchmark child is done.
channel.port1.unref();
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: channel.port2 }, transferList: [channel.port2] });

(globalThis as { joseBaselineActive?: () => boolean }).joseBaselineActive = () => redirectedFrom.length > 0;
