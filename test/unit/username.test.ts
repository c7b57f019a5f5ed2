import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as data from "../../src/battle/confusables-data";
import { normaliseUsername, usernameKey } from "../../src/battle/username";

const key = (raw: string) => {
  const name = normaliseUsername(raw);
  if (name === null) throw new Error(`refused: ${raw}`);
  return usernameKey(name);
};

/** What joining `name` beside `original` gives: refused, the same player, or a new player (the bug). */
function outcome(name: string, original: string): "refused" | "same" | "new" {
  const shown = normaliseUsername(name);
  if (shown === null) return "refused";
  return usernameKey(shown) === key(original) ? "same" : "new";
}

describe("usernames", () => {
  it("gives the issue's look-alikes of alice the same key", () => {
    const mixed = [
      "\u0430lice", // Cyrillic а
      "ali\u0441e", // Cyrillic с
      "a\u04cfice", // Cyrillic palochka
    ];
    for (const n of mixed) expect(normaliseUsername(n), n).toBeNull(); // refused outright: Latin mixed with Cyrillic
    // Even unvalidated, a name that renders as an ASCII name gets that name's key.
    expect(usernameKey("\u0430lice")).toBe(key("alice"));
    expect(usernameKey("ali\u0441e")).toBe(key("alice"));
    const lookAlikes = [
      "alice",
      "ALICE",
      "Alice",
      "\uff41\uff4c\uff49\uff43\uff45", // fullwidth
      "al\u0131ce", // dotless ı
      "aIice", // capital I for l: between small letters it reads as l
      "AIice", // and after a capital before a small letter too ("Alice")
      "al\u0130ce", // capital dotted İ reads as i
      " alice ",
      "a_lice",
      "a.l-i ce",
    ];
    for (const n of lookAlikes) expect(key(n), n).toBe(key("alice"));
    expect(key("\u0430\u0441\u0435")).toBe(key("ace")); // all-Cyrillic "асе"
    expect(key("rnike")).toBe(key("mike"));
    expect(key("b0b")).toBe(key("bob"));
    expect(key("B0B")).toBe(key("bob"));
  });

  it("keeps names that only look different apart", () => {
    expect(key("alice")).not.toBe(key("alicia"));
    expect(key("李雷")).not.toBe(key("韩梅梅"));
    // Unicode does not call i and l confusable: these are different players.
    expect(key("allce")).not.toBe(key("alice"));
    expect(key("Ian")).not.toBe(key("Lan"));
    expect(key("Lia")).not.toBe(key("Ila"));
    // Case never splits a name written the usual ways.
    for (const [a, b] of [
      ["Ian", "IAN"],
      ["Ian", "ian"],
      ["Lia", "LIA"],
      ["Ila", "ILA"],
      ["Eli", "ELI"],
      ["Ali", "ALI"],
      ["Il", "IL"],
      ["Иван", "ИВАН"],
      ["Γιώργος", "ΓΙΏΡΓΟΣ"],
    ] as const)
      expect(key(a), `${a} ${b}`).toBe(key(b));
  });

  it("keeps an ASCII name and its capitals one player", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_. -]{0,10}$/), (name) => {
        expect(key(name.toUpperCase()), name).toBe(key(name));
      }),
      { seed: 39, numRuns: 2000 },
    );
  });

  it("ignores accents on Latin, Greek and Cyrillic letters (they are easy to miss on a leaderboard)", () => {
    expect(key("José")).toBe(key("Jose"));
    expect(key("a\u1e37ice")).toBe(key("alice")); // ḷ, l with dot below
    expect(key("Søren")).toBe(key("Soren"));
    // Marks that are part of the spelling in other scripts still count.
    expect(key("が")).not.toBe(key("か"));
    expect(key("कुमार")).not.toBe(key("कमार"));
  });

  it("refuses mixed scripts, invisible and control characters, and stray combining marks", () => {
    expect(normaliseUsername("p\u0430ypal")).toBeNull(); // Latin with one Cyrillic а
    expect(normaliseUsername("\u03b1lice")).toBeNull(); // Greek α with Latin
    expect(normaliseUsername("al\u200bice")).toBeNull(); // zero-width space
    expect(normaliseUsername("al\u0336ice")).toBeNull(); // a combining mark that composes with nothing
    expect(normaliseUsername("al\u0307ice")).toBeNull(); // l + dot above: no such letter
    expect(normaliseUsername("\u0301alice")).toBeNull(); // a mark on nothing
    expect(normaliseUsername("a\nb")).toBe("a b");
    expect(normaliseUsername("bob\u0000")).toBeNull();
    // UTS #39 5.4: no run of more than four nonspacing marks, no mark repeated
    expect(normaliseUsername("क\u0941\u0941")).toBeNull();
    expect(normaliseUsername("ก\u0e34\u0e48\u0e35\u0e49\u0e4c")).toBeNull();
  });

  it("refuses empty, blank and overlong names alike", () => {
    expect(normaliseUsername("")).toBeNull();
    expect(normaliseUsername("   ")).toBeNull();
    expect(normaliseUsername("x".repeat(33))).toBeNull();
    expect(normaliseUsername("x".repeat(100_000))).toBeNull();
    expect(normaliseUsername("x".repeat(32))).toBe("x".repeat(32));
  });

  it("displays fullwidth names as plain letters and accepts names in other scripts", () => {
    expect(normaliseUsername("\uff41\uff4c\uff49\uff43\uff45")).toBe("alice");
    const legit = [
      "Иван", // Cyrillic
      "Νίκος", // Greek
      "Tom李", // Latin + Han
      "やまだ太郎", // Hiragana + Han
      "山田ハナコ", // Han + Katakana
      "Taro山田たろう", // Latin + Han + kana
      "김민준", // Hangul
      "Kim김민준", // Latin + Hangul
      "이李", // Hangul + Han
      "陈伟", // Han
      "ㄅㄆ李", // Bopomofo + Han
      "محمد", // Arabic
      "राहुल", // Devanagari, with vowel signs
      "कुमार",
      "สมศักดิ์", // Thai, with its marks
      "דוד", // Hebrew
      "Արամ", // Armenian
      "გიორგი", // Georgian
      "Nguyễn Thị Hạnh", // Vietnamese
      "Zoë",
      "O_Neil-2",
    ];
    for (const n of legit) expect(normaliseUsername(n), n).toBe(n);
  });

  it("refuses scripts outside the highly restrictive combinations", () => {
    expect(normaliseUsername("Tomキム김")).toBeNull(); // Latin + Katakana + Hangul
    expect(normaliseUsername("ㄅ김")).toBeNull(); // Bopomofo + Hangul
    expect(normaliseUsername("Иван李")).toBeNull(); // Cyrillic + Han
    expect(normaliseUsername("bob১")).toBeNull(); // Latin with a Bengali digit
  });
});

/**
 * The names of the issue ("Hostile clients, round two", point 4) that were accepted as new players beside the
 * original, plus a few of the same kinds. Each must be refused or be the original player.
 */
const LOOK_ALIKES: ReadonlyArray<readonly [name: string, original: string, expected: "refused" | "same"]> = [
  ["b\u0585b", "bob", "refused"], // Armenian օ
  ["jo\u0570n", "john", "refused"], // Armenian հ
  ["t\u2c9fm", "tom", "refused"], // Coptic ⲟ
  ["b\u09e6b", "bob", "refused"], // Bengali zero
  ["b\u09e6b", "b0b", "refused"],
  ["b\u1040b", "bob", "refused"], // Myanmar zero
  ["b\u0b66b", "b0b", "refused"], // Oriya zero
  ["a\u01c0ice", "alice", "same"], // U+01C0 dental click, a Latin letter like l
  ["\ua4ee\ua4e1\ua4f2\ua4da\ua4f0", "ALICE", "refused"], // Lisu
  ["\u13aalice", "alice", "refused"], // Cherokee Ꭺ
  ["\u0435\u0475\u0430", "eva", "same"], // all Cyrillic еѵа
  ["\u1d1cser", "user", "same"], // small capital ᴜ
  ["\u0299ob", "bob", "same"], // small capital ʙ
  ["a\u1e37ice", "alice", "same"], // ḷ with dot below
  // more of the same kinds
  ["\u0412\u041e\u0412", "BOB", "same"], // all Cyrillic capitals
  ["\u0412\u041e\u0412", "bob", "same"],
  ["\u0397\u0391\u039d", "HAN", "same"], // all Greek capitals
  ["\u0391\u039d\u039d\u0391", "anna", "same"],
  ["\u0406\u0420\u0410", "IPA", "same"], // Ukrainian І, Cyrillic Р and А
  ["\u0406\u0440\u0430", "Ipa", "same"], // Іра
  ["AL\u01c0CE", "ALICE", "same"],
  ["AL1CE", "ALLCE", "same"], // a digit 1 reads as l, also between capitals (so "A1B" stays "a1b")
  ["a1ice", "alice", "same"],
  ["\u0442\u043e\u043c", "tom", "same"], // Cyrillic том
  ["\u0430lice", "alice", "refused"],
  ["p\u0430ypal", "paypal", "refused"],
];

describe("look-alikes of the issue (table)", () => {
  for (const [name, original, expected] of LOOK_ALIKES) {
    it(`${JSON.stringify(name)} beside ${JSON.stringify(original)}: ${expected}`, () => {
      expect(outcome(name, original)).toBe(expected);
    });
  }

  it("Ian/Lan, Lia/Ila and alice/allce are different players; ALICE, ａｌｉｃｅ and a_lice are alice", () => {
    for (const [a, b] of [
      ["Ian", "Lan"],
      ["Lia", "Ila"],
      ["alice", "allce"],
    ] as const) {
      expect(normaliseUsername(a)).toBe(a);
      expect(normaliseUsername(b)).toBe(b);
      expect(outcome(b, a)).toBe("new");
    }
    for (const n of ["ALICE", "\uff41\uff4c\uff49\uff43\uff45", "a_lice"])
      expect(outcome(n, "alice")).toBe("same");
  });
});

// --- the confusable data --------------------------------------------------------------------------------------

const SOURCE_FILE = "node_modules/unhomoglyph/data.json";

/** Unicode's MA mappings, whole when the source package is installed, else the pruned copy in the data module. */
function mappings(): Map<string, string> {
  const map = new Map<string, string>();
  if (existsSync(SOURCE_FILE)) {
    for (const [from, to] of Object.entries(
      JSON.parse(readFileSync(SOURCE_FILE, "utf8")) as Record<string, string>,
    ))
      map.set(from, to);
    return map;
  }
  for (const entry of data.CONFUSABLES.split(";")) {
    const [from, to] = entry.split("=") as [string, string];
    const cp = (h: string) => String.fromCodePoint(Number.parseInt(h, 16));
    map.set(cp(from), to.split(" ").map(cp).join(""));
  }
  return map;
}

describe("confusable data", () => {
  it("records the Unicode version and the source's hash", () => {
    expect(data.UNICODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(data.SOURCE_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(data.CONFUSABLES.length).toBeGreaterThan(1000);
  });

  it.runIf(existsSync(SOURCE_FILE))("is what the generator makes of the installed source", () => {
    const bytes = readFileSync(SOURCE_FILE);
    expect(
      createHash("sha256").update(bytes).digest("hex"),
      "source changed: run scripts/gen-confusables.mjs",
    ).toBe(data.SOURCE_SHA256);
    const generated = JSON.parse(
      execFileSync(process.execPath, ["scripts/gen-confusables.mjs", "--json"], { encoding: "utf8" }),
    );
    expect(generated).toEqual({
      unicodeVersion: data.UNICODE_VERSION,
      source: data.SOURCE,
      sourceSha256: data.SOURCE_SHA256,
      scripts: [...data.SCRIPTS],
      confusables: data.CONFUSABLES,
      caseClosure: data.CASE_CLOSURE,
    });
  });
});

// --- property: confusable substitutions never make a new player -----------------------------------------------

/** Realistic names in several scripts (and cases), the originals the substitutions start from. */
const ORIGINALS = [
  "alice",
  "Alice",
  "ALICE",
  "bob",
  "BOB",
  "john",
  "Tom",
  "TOM",
  "Will",
  "Lili",
  "ELIZA",
  "COCO",
  "eva",
  "Ian",
  "Lan",
  "Lia",
  "Ila",
  "paypal",
  "maria",
  "ANNA",
  "Olga",
  "user_01",
  "Joe Cool",
  "Иван",
  "Вера",
  "Ольга",
  "Νίκος",
  "ΝΙΚΟΣ",
  "Ελένη",
  "Արամ",
  "やまだ太郎",
  "김민준",
  "محمد",
  "राहुल",
  "สมชาย",
  "李雷",
  "Tom李",
  "דוד",
];

const SEPARATOR = /[ _.-]/u;

/**
 * Confusable classes of the data: every character with the same prototype. Only characters a name can show are
 * drawn (letters, marks and digits that NFKC leaves alone: the display form is NFKC).
 */
function confusableClasses(): Map<string, string[]> {
  const map = mappings();
  const byPrototype = new Map<string, string[]>();
  const add = (proto: string, ch: string) => {
    if (ch.normalize("NFKC") !== ch || !/^[\p{L}\p{M}\p{N}]$/u.test(ch)) return;
    const list = byPrototype.get(proto) ?? [];
    if (!list.includes(ch)) list.push(ch);
    byPrototype.set(proto, list);
  };
  for (const [from, to] of map) {
    add(to, from);
    if ([...to].length === 1) add(to, to);
  }
  const classOf = new Map<string, string[]>();
  for (const members of byPrototype.values()) for (const ch of members) classOf.set(ch, members);
  return classOf;
}

const CLASSES = confusableClasses();
const L_CLASS = new Set(CLASSES.get("l") ?? ["l"]);

/** Uppercase, lowercase or uncased: the I/l/1 look-alikes are read by case (see usernameKey). */
const caseRole = (ch: string) =>
  /[\p{Lu}\p{Lt}]/u.test(ch) ? "upper" : /\p{Ll}/u.test(ch) ? "lower" : "none";

/**
 * The confusables of `ch` a substitution may use. The one exception: the I/l/1 class, where Unicode's data and
 * case-insensitive names disagree (I looks like l, yet "Ian" and "ian" must be one name and "Lan" another), is only
 * substituted within the same case.
 */
function substitutes(ch: string): string[] {
  const members = CLASSES.get(ch) ?? [];
  return members.filter((m) => m !== ch && (!L_CLASS.has(ch) || caseRole(m) === caseRole(ch)));
}

const hex = (s: string) => [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(" ");

/** Checks one mutant; true when it was accepted (and so had to be the original player). */
function check(original: string, mutant: string): boolean {
  const shown = normaliseUsername(mutant);
  if (shown === null) return false; // refused: fine
  expect(usernameKey(shown), `${JSON.stringify(mutant)} (${hex(mutant)}) vs ${original}`).toBe(key(original));
  return true;
}

describe("confusable substitutions (property)", () => {
  it("has a class for the letters of the originals", () => {
    expect(substitutes("a")).toEqual(expect.arrayContaining(["\u0430", "\u03b1", "\u0251"])); // а α ɑ
    expect(substitutes("o").length).toBeGreaterThan(10);
  });

  it("every single substitution of every original is refused or the original player", () => {
    let tried = 0;
    let accepted = 0;
    for (const original of ORIGINALS) {
      const chars = [...original];
      chars.forEach((ch, i) => {
        if (SEPARATOR.test(ch)) return;
        for (const sub of substitutes(ch)) {
          tried++;
          if (check(original, [...chars.slice(0, i), sub, ...chars.slice(i + 1)].join(""))) accepted++;
        }
      });
    }
    expect(tried).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(50); // not only refusals: many single-script look-alikes are keyed as the original
  });

  it("random multi-character substitutions are refused or the original player (seeded)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORIGINALS),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (original, picks, everywhere) => {
          const chars = [...original];
          // Either a few random positions, or every position that has a confusable (whole-script look-alikes).
          const positions = everywhere
            ? chars.map((_, i) => [i, picks[i % picks.length]![1]] as const)
            : picks;
          for (const [p, q] of positions) {
            const i = p % chars.length;
            const options = substitutes(chars[i]!);
            if (options.length > 0) chars[i] = options[q % options.length]!;
          }
          check(original, chars.join(""));
        },
      ),
      { seed: 39, numRuns: 3000 },
    );
  });
});
