/**
 * @module Where a battle object's outbox messages go. In production (and `npm start`) straight to the `EVENTS`
 * queue. In the local multi-process mode only process 0 runs the queue and its consumer (local queues do not
 * cross `wrangler dev` processes on this wrangler), so the other processes send through `EVENTS_RELAY`, a service
 * binding to process 0's `EventsRelay` entrypoint, which puts the batch on its queue. Either way the flusher
 * treats a failed send as unsent and resends, so the relay adds no way to lose an event.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { type EventMessage, MESSAGE_CONTENT_TYPE } from "./message";

export type SendEvents = (messages: readonly EventMessage[]) => Promise<void>;

interface RelayBinding {
  sendBatch(bodies: readonly unknown[]): Promise<void>;
}

export function eventSender(env: Env): SendEvents {
  const relay = (env as unknown as { EVENTS_RELAY?: RelayBinding }).EVENTS_RELAY;
  const queue = (env as unknown as { EVENTS?: Queue }).EVENTS;
  if (queue)
    return async (messages) => void (await queue.sendBatch(textMessages(messages.map((m) => m.body))));
  if (relay) return (messages) => relay.sendBatch(messages.map((m) => m.body));
  return async () => {
    throw new Error("no EVENTS queue and no EVENTS_RELAY binding");
  };
}

/** Strings go as `text` (their size is then exactly their UTF-8 length: src/persistence/event-size.ts). */
function textMessages(bodies: readonly unknown[]): MessageSendRequest[] {
  return bodies.map((body) =>
    typeof body === "string" ? { body, contentType: MESSAGE_CONTENT_TYPE } : { body },
  );
}

/** Process 0's side of the relay: one `sendBatch` on its queue per call (the flusher's limits already hold). */
export class EventsRelay extends WorkerEntrypoint<Env> {
  async sendBatch(bodies: readonly unknown[]): Promise<void> {
    await this.env.EVENTS.sendBatch(textMessages(bodies));
  }
}
