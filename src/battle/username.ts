/**
 * @module Usernames: what a valid name is, how it is displayed, and the look-alike key that makes it unique.
 * Pure: the Worker validates with it before calling the battle object, and the object keys its players by it.
 */

/** Display rules (after NFKC): 1–32 letters, digits, space, `_`, `.` or `-`. */
export const USERNAME_MAX = 32;
const USERNAME = /^[\p{L}\p{N}_.\- ]{1,32}$/u;
export const USERNAME_RULES = "usernames are 1–32 letters, digits, spaces, _ . or -, in one script";

/**
 * Letters that render like a Latin letter, mapped to it (after case folding). From Unicode's confusables list
 * (UTS #39), restricted to letters a username may hold; enough that no Cyrillic, Greek or IPA look-alike of a
 * Latin name gets its own key.
 */
const CONFUSABLE: Record<string, string> = {
  // Cyrillic
  а: "a",
  в: "b",
  ь: "b",
  с: "c",
  ԁ: "d",
  е: "e",
  ё: "e",
  һ: "h",
  н: "h",
  і: "i",
  ї: "i",
  ј: "j",
  к: "k",
  ӏ: "i",
  м: "m",
  п: "n",
  о: "o",
  р: "p",
  ԛ: "q",
  г: "r",
  ѕ: "s",
  т: "t",
  у: "y",
  ү: "y",
  ԝ: "w",
  х: "x",
  з: "3",
  // Greek
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  μ: "u",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  γ: "y",
  ω: "w",
  ζ: "z",
  // Latin extensions and IPA
  ı: "i",
  ɩ: "i",
  ȷ: "j",
  ɑ: "a",
  ɡ: "g",
  ʟ: "i",
  ɴ: "n",
  ʀ: "r",
  ʏ: "y",
  ᴄ: "c",
  ᴏ: "o",
  ᴠ: "v",
  ᴡ: "w",
  ᴢ: "z",
  ß: "ss",
  // Letters and digits that pass for one another in most fonts: l and capital I cannot be told apart, and case
  // folding makes capital I an i, so i, l and 1 share one key letter.
  l: "i",
  "0": "o",
  "1": "i",
};

/** Capitals whose lowercase differs in shape from the Latin letter they imitate (Greek Η looks like H, η like n). */
const CONFUSABLE_UPPER: Record<string, string> = {
  Η: "h",
  Ν: "n",
  Β: "b",
  Ρ: "p",
  Τ: "t",
  Χ: "x",
  Υ: "y",
  Μ: "m",
  Κ: "k",

  В: "b",
  Н: "h",
  М: "m",
  Т: "t",
  К: "k",
};

/** Multi-letter look-alikes, applied to the folded key ("rn" reads as "m"). */
const CONFUSABLE_SEQUENCES: ReadonlyArray<readonly [RegExp, string]> = [
  [/rn/g, "m"],
  [/vv/g, "w"],
];

const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
];

/**
 * Whether the letters of `name` mix Latin, Cyrillic and Greek (a name like "раypal" only ever exists to look
 * like another). Other scripts may mix freely (Japanese mixes Han and kana; "Tom李" is a real name).
 */
function mixesLookAlikeScripts(name: string): boolean {
  let found: string | null = null;
  for (const ch of name) {
    for (const [script, re] of SCRIPTS) {
      if (!re.test(ch)) continue;
      if (found !== null && found !== script) return true;
      found = script;
    }
  }
  return false;
}

/**
 * The name as it will be displayed (NFKC: fullwidth and other compatibility forms become plain letters; spaces
 * collapsed), or null if it breaks the rules. Empty, blank, too long and mixed-script names are all refused here,
 * so the caller reports one code (`invalid_username`) for all of them.
 */
export function normaliseUsername(raw: string): string | null {
  if (raw.length > USERNAME_MAX * 4) return null;
  const name = raw.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (!USERNAME.test(name) || mixesLookAlikeScripts(name)) return null;
  return name;
}

/**
 * The uniqueness key of a (normalised) name: NFKC, case folded, look-alike letters mapped to the Latin letter they
 * imitate, separators dropped. Two names with the same key are refused as the same player
 * ("alice", "аlice" with Cyrillic а, "ａｌｉｃｅ", "alıce", "aIice", "ALICE" and "a_lice" all share one key).
 */
export function usernameKey(name: string): string {
  let key = "";
  for (const ch of name.normalize("NFKC")) {
    const upper = CONFUSABLE_UPPER[ch];
    if (upper !== undefined) {
      key += upper;
      continue;
    }
    for (const folded of ch.toLowerCase().normalize("NFKC")) key += CONFUSABLE[folded] ?? folded;
  }
  // Combining marks left by folding ("İ" lowers to i + U+0307) and separators do not tell names apart.
  key = key.replace(/[\p{M}\s_.-]+/gu, "");
  for (const [re, to] of CONFUSABLE_SEQUENCES) key = key.replace(re, to);
  return key;
}
