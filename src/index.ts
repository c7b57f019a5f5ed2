/** @module Worker entry: the HTTP handler, the queue consumers and the Durable Object classes. */
import { BattleDO } from "./do/battle-do";
import { app } from "./http/app";
import { EventsRelay } from "./persistence/events-relay";
import { consumeDeadLetters, consumeEvents } from "./persistence/queue-consumer";

export { BattleDO, EventsRelay };

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env>;
