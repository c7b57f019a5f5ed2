/**
 * @module The id a client gives each request (the one reply carries it back). The server validates it with the zod
 * schema `RequestId` in `src/protocol/client-messages.ts` (a string of 1–64 characters or an integer in 0…2^53); a
 * unit test checks that the schema's type and this one are the same.
 */
export type RequestId = string | number;
