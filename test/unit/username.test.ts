import { describe, expect, it } from "vitest";
import { normaliseUsername, usernameKey } from "../../src/battle/username";

const key = (raw: string) => {
  const name = normaliseUsername(raw);
  if (name === null) throw new Error(`refused: ${raw}`);
  return usernameKey(name);
};

describe("usernames", () => {
  it("gives the issue's look-alikes of alice the same key", () => {
    const mixed = [
      "\u0430lice", // Cyrillic а
      "ali\u0441e", // Cyrillic с
      "a\u04cfice", // Cyrillic palochka
    ];
    for (const n of mixed) {
      expect(normaliseUsername(n), n).toBeNull(); // refused outright: Latin mixed with Cyrillic
      expect(usernameKey(n), n).toBe(key("alice")); // and would collide anyway
    }
    const lookAlikes = [
      "alice",
      "ALICE",
      "Alice",
      "\uff41\uff4c\uff49\uff43\uff45", // fullwidth
      "al\u0131ce", // dotless ı
      "aIice", // capital I for l
      "al\u0130ce", // capital dotted İ
      " alice ",
    ];
    for (const n of lookAlikes) expect(key(n), n).toBe(key("alice"));
    expect(key("\u0430\u0441\u0435")).toBe(key("ace")); // all-Cyrillic "асе"
    expect(key("rnike")).toBe(key("mike"));
    expect(key("b0b")).toBe(key("bob"));
  });

  it("keeps names that only look different apart", () => {
    expect(key("alice")).not.toBe(key("alicia"));
    expect(key("José")).not.toBe(key("Jose"));
    expect(key("李雷")).not.toBe(key("韩梅梅"));
  });

  it("refuses mixed Latin/Cyrillic/Greek, invisible and control characters", () => {
    expect(normaliseUsername("p\u0430ypal")).toBeNull(); // Latin with one Cyrillic а
    expect(normaliseUsername("\u03b1lice")).toBeNull(); // Greek α with Latin
    expect(normaliseUsername("al\u200bice")).toBeNull(); // zero-width space
    expect(normaliseUsername("al\u0336ice")).toBeNull(); // a combining mark that composes with nothing
    expect(normaliseUsername("a\nb")).toBe("a b");
    expect(normaliseUsername("bob\u0000")).toBeNull();
  });

  it("refuses empty, blank and overlong names alike", () => {
    expect(normaliseUsername("")).toBeNull();
    expect(normaliseUsername("   ")).toBeNull();
    expect(normaliseUsername("x".repeat(33))).toBeNull();
    expect(normaliseUsername("x".repeat(100_000))).toBeNull();
    expect(normaliseUsername("x".repeat(32))).toBe("x".repeat(32));
  });

  it("displays fullwidth names as plain letters and allows other scripts and Tom李", () => {
    expect(normaliseUsername("\uff41\uff4c\uff49\uff43\uff45")).toBe("alice");
    expect(normaliseUsername("Иван")).toBe("Иван");
    expect(normaliseUsername("Tom李")).toBe("Tom李");
    expect(normaliseUsername("やまだ太郎")).toBe("やまだ太郎");
  });
});
