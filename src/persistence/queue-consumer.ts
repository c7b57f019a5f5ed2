/**
 * @module Queue consumers. The battle event outbox that feeds D1 and Postgres arrives with the persistence
 * issue; until then no producer sends, and anything unknown is retried into the dead-letter queue so it is visible.
 */
export async function consumeEvents(batch: MessageBatch<unknown>): Promise<void> {
  for (const msg of batch.messages) {
    console.error(
      `queue ${batch.queue}: unknown event, retrying towards the DLQ`,
      JSON.stringify(msg.body).slice(0, 500),
    );
    msg.retry();
  }
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>): Promise<void> {
  for (const msg of batch.messages) {
    console.error(`DLQ ${batch.queue}: dead letter ${msg.id}`, JSON.stringify(msg.body).slice(0, 2000));
    msg.ack();
  }
}
