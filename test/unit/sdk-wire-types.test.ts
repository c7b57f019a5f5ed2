/**
 * @module The SDK's wire types against the server's validators: the package declares `RequestId` as a plain type (it
 * ships without zod), the server validates it with a zod schema; the two must describe the same values. Checked by
 * the compiler (`npm run typecheck` covers test/unit) and by the schema at run time.
 */
import type { RequestId as SdkRequestId } from "@arena/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { RequestId } from "../../src/protocol/client-messages";

describe("SDK wire types", () => {
  it("RequestId is the type the server's schema accepts", () => {
    expectTypeOf<z.infer<typeof RequestId>>().toEqualTypeOf<SdkRequestId>();
    const ids: SdkRequestId[] = ["k-1", 7, 0];
    for (const id of ids) expect(RequestId.safeParse(id).success).toBe(true);
  });
});
