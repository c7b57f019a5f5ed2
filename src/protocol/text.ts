/**
 * @module Text hygiene at the protocol boundary: every player- or operator-supplied string refuses NUL, the other
 * C0 control characters (U+0001–U+001F), DEL (U+007F) and lone (unpaired) UTF-16 surrogates. Text that may span
 * lines (question text, choices) also allows TAB, LF and CR. Postgres refuses `\u0000` and lone surrogates in
 * text and jsonb, so one such string would otherwise poison the persistence stream. Pure; one regex test per
 * string on the hot path, the reason is worked out only for a refusal.
 */
import { z } from "zod";

// Without the `u` flag a regex sees UTF-16 code units, so a surrogate is "lone" when its partner is missing.
const FORBIDDEN_LINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN_MULTILINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextOptions {
  /** Allow TAB, LF and CR (text that can span lines); every other control character is still refused. */
  readonly multiline?: boolean;
}

/** True when `s` holds no forbidden character (see the module comment). */
export function isSafeText(s: string, multiline = false): boolean {
  return !(multiline ? FORBIDDEN_MULTILINE : FORBIDDEN_LINE).test(s);
}

/**
 * Why `s` is refused, or null when it is fine: "contains a control character (U+0000)" or "contains a lone
 * surrogate (U+D800)", naming the first offending code unit. Callers prefix the field's name.
 */
export function textProblem(s: string, multiline = false): string | null {
  const m = (multiline ? FORBIDDEN_MULTILINE : FORBIDDEN_LINE).exec(s);
  if (m === null) return null;
  const unit = m[0].charCodeAt(0);
  const hex = `U+${unit.toString(16).toUpperCase().padStart(4, "0")}`;
  return unit >= 0xd800 && unit <= 0xdfff
    ? `contains a lone surrogate (${hex})`
    : `contains a control character (${hex})`;
}

/**
 * A zod string that refuses forbidden characters with a `custom` issue at the field's path (the API's error
 * message is then e.g. `answer: contains a control character (U+0000)`). Chain `.min()`, `.max()`, `.regex()` on it.
 */
export function safeText(options: TextOptions = {}): z.ZodString {
  const multiline = options.multiline === true;
  return z.string().superRefine((s, ctx) => {
    const problem = textProblem(s, multiline);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem, input: s });
  });
}

/**
 * UTF-8 length of `s` without encoding it (a lone surrogate counts 3 bytes, as the encoder writes U+FFFD). Never
 * less than `s.length`.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      // A pair is 4 bytes for its 2 units; a lone high surrogate would be 3 (U+FFFD).
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
        continue;
      }
      n += 2;
    } else n += 2;
  }
  return n;
}
