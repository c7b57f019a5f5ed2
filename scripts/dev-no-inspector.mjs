/**
 * @module `wrangler dev` without the runtime inspector, for load runs: wrangler's CLI always opens the inspector,
 * and its inspector proxy then receives a `Network.requestWillBeSent` event for every subrequest (each Worker →
 * Durable Object call), relays it through a second workerd and logs it in the Node process: work on the server's core
 * that production does not have. This starts the same Worker through wrangler's own API (`unstable_startWorker`) with
 * `dev.inspector: false`. Arguments: `--port P [--persist-to DIR] [--var K:V ...]`; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    ip: { type: "string", default: "127.0.0.1" },
    "persist-to": { type: "string" },
    config: { type: "string", default: "wrangler.toml" },
    var: { type: "string", multiple: true, default: [] },
  },
});
/** @type {Record<string, {type: "plain_text", value: string}>} */
const bindings = {};
for (const kv of values.var ?? []) {
  const at = kv.indexOf(":");
  if (at <= 0) throw new Error(`--var takes NAME:value, not ${JSON.stringify(kv)}`);
  bindings[kv.slice(0, at)] = { type: "plain_text", value: kv.slice(at + 1) };
}
const port = Number(values.port ?? 8787);
const worker = await unstable_startWorker({
  config: values.config,
  bindings,
  // What the CLI derives from `nodejs_compat` and the compatibility date (its `validateNodeCompatMode`): the API
  // leaves it unset, and the bundle would then treat `node:*` imports as plain externals.
  build: { nodejsCompatMode: "v2" },
  dev: {
    inspector: false,
    server: { hostname: values.ip, port },
    persist: values["persist-to"],
    watch: false,
    liveReload: false,
  },
});
await worker.ready;
console.log(`[dev-no-inspector] ready on http://${values.ip}:${port} (no inspector)`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
