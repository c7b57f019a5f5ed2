/**
 * @module Usernames: what a valid name is, how it is displayed, and the look-alike key that makes it unique.
 * Pure: the Worker validates with it before calling the battle object, and the object keys its players by it.
 *
 * The rules follow Unicode's security mechanisms (UTS #39) with the data of ./confusables-data.ts:
 * - a name must meet the "Highly Restrictive" level (section 5.2): its letters are of one script, or Latin mixed
 *   only with Han + Hiragana + Katakana, Han + Bopomofo or Han + Hangul, all from the scripts Unicode recommends for
 *   identifiers (UAX #31 Table 5);
 * - two names are one player when their keys are equal: the UTS #39 skeleton (section 4) of the case-folded name,
 *   without separators or the accents of Latin, Greek and Cyrillic letters.
 */
import { CASE_CLOSURE, CONFUSABLES, SCRIPTS } from "./confusables-data";

/** Display rules (after NFKC): 1–32 letters (with their marks), digits, space, `_`, `.` or `-`. */
export const USERNAME_MAX = 32;
const USERNAME = /^[\p{L}\p{M}\p{N}_.\- ]{1,32}$/u;
export const USERNAME_RULES =
  "usernames are 1–32 letters, digits, spaces, _ . or -, in one script (Latin may join Han, kana, Bopomofo or Hangul)";

// --- data -------------------------------------------------------------------------------------------------------

let maps: { confusable: Map<string, string>; closure: Map<string, string> } | null = null;

function unpack(packed: string): Map<string, string> {
  const map = new Map<string, string>();
  const cp = (h: string) => String.fromCodePoint(Number.parseInt(h, 16));
  for (const entry of packed.split(";")) {
    const [from, to] = entry.split("=") as [string, string];
    map.set(cp(from), to.split(" ").map(cp).join(""));
  }
  return map;
}

/** The data, unpacked on first use (a few thousand entries: well under a millisecond). */
function data() {
  maps ??= { confusable: unpack(CONFUSABLES), closure: unpack(CASE_CLOSURE) };
  return maps;
}

/** Unicode's prototype of one character (itself when it has none). */
const prototype = (ch: string) => data().confusable.get(ch) ?? ch;

// --- scripts (UTS #39 section 5) --------------------------------------------------------------------------------

const SCRIPT_RES = SCRIPTS.map((s) => new RegExp(`\\p{Script_Extensions=${s}}`, "u"));
const bit = (s: (typeof SCRIPTS)[number]) => 1 << SCRIPTS.indexOf(s);
const LATN = bit("Latin");
const HANI = bit("Han");
const HIRA = bit("Hiragana");
const KANA = bit("Katakana");
const BOPO = bit("Bopomofo");
const HANG = bit("Hangul");
// Section 5.1's augmented script sets: Han, kana, Bopomofo and Hangul also count as the writing systems they join.
const JPAN = 1 << 29;
const KORE = 1 << 30;
const HANB = 1 << 31;
const ALL = -1;
/** Section 5.2 "Highly Restrictive": Latin may mix with these (besides single-script names). */
const ALLOWED_MIXES = [LATN | HANI | HIRA | KANA, LATN | HANI | BOPO, LATN | HANI | HANG];
const COMMON_OR_INHERITED = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
const ONLY_LATIN =
  /^[\p{Script_Extensions=Latin}\p{Script_Extensions=Common}\p{Script_Extensions=Inherited} ]*$/u;

/** The Script_Extensions of `ch` among SCRIPTS as a bit set, ALL for Common/Inherited, 0 for any other script. */
function scriptSet(ch: string): number {
  if (COMMON_OR_INHERITED.test(ch)) return ALL;
  let set = 0;
  SCRIPT_RES.forEach((re, i) => {
    if (re.test(ch)) set |= 1 << i;
  });
  return set;
}

function augmented(set: number): number {
  let out = set;
  if (set & HANI) out |= JPAN | KORE | HANB;
  if (set & (HIRA | KANA)) out |= JPAN;
  if (set & HANG) out |= KORE;
  if (set & BOPO) out |= HANB;
  return out;
}

/** UTS #39 section 5.2 "Highly Restrictive", with only the recommended scripts of SCRIPTS allowed at all. */
function highlyRestrictive(name: string): boolean {
  if (ONLY_LATIN.test(name)) return true;
  const sets: number[] = [];
  let resolved = ALL;
  for (const ch of name) {
    const set = scriptSet(ch);
    if (set === 0) return false; // an excluded or limited-use script (Cherokee, Lisu, Coptic…)
    sets.push(set);
    resolved &= set === ALL ? ALL : augmented(set);
  }
  if (resolved !== 0) return true; // single script (Japanese and Korean counting as one)
  return ALLOWED_MIXES.some((mix) => sets.every((set) => (set & mix) !== 0));
}

// --- combining marks (UTS #39 section 5.4) ----------------------------------------------------------------------

/** Letters whose accents Unicode encodes precomposed, and digits: a mark left after NFKC on these is refused. */
const ACCENTED_BY_COMPOSITION =
  /[\p{Script_Extensions=Latin}\p{Script_Extensions=Greek}\p{Script_Extensions=Cyrillic}\p{Script_Extensions=Common}]/u;

/**
 * Marks follow a letter (or digit) of a script that writes with them, at most four nonspacing marks in a row and
 * never the same one twice (section 5.4). On Latin, Greek and Cyrillic letters NFKC has already composed every
 * accent Unicode has a letter for; a mark still left over there ("l" + dot above, a strike-through) composes with
 * nothing and only exists to disguise the letter, so it is refused.
 */
function marksAllowed(name: string): boolean {
  let base: string | null = null;
  let run = 0;
  let previous = "";
  for (const ch of name) {
    if (!/\p{M}/u.test(ch)) {
      base = /[\p{L}\p{N}]/u.test(ch) ? ch : null;
      run = 0;
      previous = "";
      continue;
    }
    if (base === null || ACCENTED_BY_COMPOSITION.test(base)) return false;
    if (/\p{Mn}/u.test(ch)) {
      if (++run > 4 || ch === previous) return false;
      previous = ch;
    }
  }
  return true;
}

/**
 * The name as it will be displayed (NFKC: fullwidth and other compatibility forms become plain letters; spaces
 * collapsed), or null if it breaks the rules. Empty, blank, too long, mixed-script and disguised names are all
 * refused here, so the caller reports one code (`invalid_username`) for all of them.
 */
export function normaliseUsername(raw: string): string | null {
  if (raw.length > USERNAME_MAX * 4) return null;
  const name = raw.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (!USERNAME.test(name) || !marksAllowed(name) || !highlyRestrictive(name)) return null;
  return name;
}

// --- the key (UTS #39 section 4) --------------------------------------------------------------------------------

const SEPARATOR = /^[\s_.-]$/u;
const UPPER = /^[\p{Lu}\p{Lt}]$/u;
const LOWER = /^\p{Ll}$/u;
const LETTER = /^\p{L}$/u;
const NONSPACING = /^\p{Mn}$/u;
const DOT_ABOVE = "\u0307";
/** Bases whose nonspacing marks the key ignores (after the skeleton, prototypes are mostly Latin or Common). */
const ACCENT_BASE = ACCENTED_BY_COMPOSITION;

/** Full case folding (ß → ss, ẞ → ss, ς → σ), per character so final-sigma rules do not apply. */
const fold = (s: string) => s.toLowerCase().toUpperCase().toLowerCase().replace(/ς/gu, "σ");

/** Whether `ch` is in Unicode's I/l/1 class (its prototype is l: I, l, 1, ǀ, Greek Ι, Cyrillic І and Ӏ…). */
const isIorL = (ch: string) => ch === "l" || prototype(ch) === "l";

/** The nearest letter before (`step` -1) or after (+1) index `k` in the same word, skipping marks. */
function neighbour(chars: readonly string[], k: number, step: 1 | -1): string | null {
  for (let j = k + step; j >= 0 && j < chars.length; j += step) {
    const ch = chars[j]!;
    if (NONSPACING.test(ch)) continue;
    return LETTER.test(ch) ? ch : null;
  }
  return null;
}

/**
 * How a member of the I/l/1 class at `chars[k]` reads: as i (a capital I) or as l. This is where Unicode's data
 * (I, l and 1 are one prototype) and case-insensitive names ("ALICE" is "alice", "Ian" is not "Lan") disagree, so
 * the reader's view decides: a letter of the class between capitals reads as I (ALICE, ALlCE, ALǀCE are alice); a
 * capital I starting a word reads as I (Ian, IAN) but next to a small letter inside a word as l (aIice and AIice
 * are alice); otherwise l, ǀ and the digit 1 read as l (a1ice is alice, and A1B is a1b). A dotted İ reads as i.
 */
function readsAsCapitalI(chars: readonly string[], k: number): boolean {
  const ch = chars[k]!;
  if (chars[k + 1] === DOT_ABOVE) return true;
  const before = neighbour(chars, k, -1);
  const after = neighbour(chars, k, 1);
  const isLower = (c: string | null) => c !== null && LOWER.test(c);
  const isUpper = (c: string | null) => c !== null && UPPER.test(c);
  // A small l or an uncased letter (ǀ) between capitals: "ALlCE", "ALǀCE". A digit 1 always reads as l.
  if (!UPPER.test(ch)) return LETTER.test(ch) && isUpper(before) && isUpper(after);
  if (isLower(before)) return false; // "aIice"
  if (isUpper(before)) return !isLower(after); // "ALICE" but "AIice"
  return true; // a capital starting a word: "Ian", "IAN"
}

/**
 * One character of the folded name mapped to its skeleton: the prototype, then the case closure, then folded again
 * (a prototype may be a capital: 0 → O), until nothing changes.
 */
function skeletonOf(ch: string): string {
  const { closure } = data();
  let t = ch;
  for (let round = 0; round < 4; round++) {
    let next = "";
    for (const c of t.normalize("NFD"))
      for (const d of prototype(c).normalize("NFD")) next += closure.get(d) ?? d;
    next = fold(next);
    if (next === t) break;
    t = next;
  }
  return t;
}

/** Drops the nonspacing marks of Latin, Greek, Cyrillic and Common bases; other scripts spell with theirs. */
function dropAccents(s: string): string {
  let out = "";
  let accentBase = false;
  for (const ch of s) {
    if (NONSPACING.test(ch)) {
      if (!accentBase) out += ch;
      continue;
    }
    accentBase = ACCENT_BASE.test(ch);
    out += ch;
  }
  return out;
}

/** The skeleton key of a name: I/l/1 read in context, the rest case-folded and mapped, separators and accents out. */
function skeletonKey(name: string): string {
  const chars = [...name.normalize("NFD")];
  let key = "";
  chars.forEach((ch, k) => {
    if (SEPARATOR.test(ch)) return;
    if (isIorL(ch)) key += readsAsCapitalI(chars, k) ? "i" : "l";
    else for (const c of fold(ch).normalize("NFD")) key += skeletonOf(c);
  });
  return dropAccents(key.normalize("NFD"));
}

const LATIN_OR_COMMON =
  /^[\p{Script_Extensions=Latin}\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
const NOT_LATIN =
  /[^\p{Script_Extensions=Latin}\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]/u;
const LATIN_LETTERS = /^[\p{L}\p{N}]+$/u;
const LATIN_SCRIPT = /^[\p{Script_Extensions=Latin}\p{Script_Extensions=Common}]+$/u;

/**
 * The Latin name that a name in another script is drawn like, character by character, or null if some character
 * looks like no Latin letter or digit: "ВОВ" (Cyrillic) is drawn as "BOB", "ΗΑΝ" (Greek) as "HAN", "ΝΙΚΟΣ" as
 * "NIKOƩ". The I/l/1 class keeps its case (I, l or 1) so that it is read in context like the real thing.
 */
function latinLookalike(name: string): string | null {
  let out = "";
  const chars = [...name.normalize("NFD")];
  for (const [k, ch] of chars.entries()) {
    if (isIorL(ch) && chars[k + 1] === DOT_ABOVE) out += "i";
    else if (SEPARATOR.test(ch) || LATIN_OR_COMMON.test(ch)) out += ch;
    else if (isIorL(ch)) out += UPPER.test(ch) ? "I" : LOWER.test(ch) ? "l" : "1";
    else {
      const looks = prototype(ch)
        .normalize("NFD")
        .replace(/\p{Mn}/gu, "");
      if (!LATIN_LETTERS.test(looks) || !LATIN_SCRIPT.test(looks)) return null;
      out += looks;
    }
  }
  return out;
}

/**
 * The uniqueness key of a (normalised) name. Two names with the same key are the same player:
 * - the key is the UTS #39 skeleton of the case-folded name ("ALICE", "ａｌｉｃｅ", "alıce" are alice; all-Cyrillic
 *   "еѵа" is eva; "rnike" is mike), with the case closure of the data (small capital ʙ is b, as Cyrillic в is);
 * - case folding comes first, except where Unicode's I/l/1 class and case disagree: those are read in context (see
 *   readsAsCapitalI), so "aIice" is alice while "Ian" and "Lan", "Lia" and "Ila", "alice" and "allce" stay apart;
 * - a name in another script drawn entirely like a Latin name is keyed as that Latin name: capitals such as Greek Η
 *   and Ν fold to letters that look like n and v, so "ΗΑΝ" would otherwise pass beside "HAN" (the price: such an
 *   all-capitals name is not the same player as its small-letter form, "ΝΙΚΟΣ" beside "Νίκος");
 * - separators (space _ . -) and the accents of Latin, Greek and Cyrillic letters are ignored ("aḷice" and "a_lice"
 *   are alice, "José" is Jose): on a leaderboard a dot below or an acute is easy to miss.
 */
export function usernameKey(name: string): string {
  const display = name.normalize("NFKC");
  const lookalike = NOT_LATIN.test(display) ? latinLookalike(display) : null;
  return skeletonKey(lookalike ?? display);
}
