/**
 * The streaming mode's hold-back: where, at the end of a window of streamed output, a value
 * may have started that the next chunks finish (an email, a card or IBAN, a key, a JWT, a
 * PEM block, the value of `password=`). The caller releases text only up to that offset and
 * sends the rest again with what follows, so no detector ever sees half a value and lets
 * it through. A fixed hold-back cannot do this: keys and PEM blocks are longer than any
 * sensible fixed length.
 *
 * Bounded: never more than MAX_HOLD_CHARS are held (a longer unfinished run is released and
 * checked as it stands), and every scan below looks at that tail only.
 */
export const MAX_HOLD_CHARS = 8_192;

/** A number ending the text, as cards, phones (digits and separators) and IBANs (a country code, two digits, groups) are written. */
const NUMBERISH_TAIL = /(?:\b[A-Z]{2}\d{2}[A-Z0-9 ]*|[+(]?\d[\d ()./-]*)$/;
/** Key prefixes of provider tokens and JWTs; a token starting so is held whatever its length. */
const SECRET_PREFIX = /^(?:["'`(<[{=:]*)(?:sk-|sk_|rk_|pk_|whsec_|gh[pousr]_|github_pat_|gl[a-z]{2,6}-|xox|xapp-|AKIA|ASIA|ABIA|ACCA|AIza|GOCSPX-|hf_|eyJ|-----)/;
/** A key name whose value follows: `password=`, `api_key: "`, `Authorization: Bearer`. */
const ASSIGNMENT_TAIL = /(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|authorization|credentials?)["']?(?:[ \t]{0,4}(?:[:=]|=>)[ \t]{0,4}["']?|:?[ \t]{1,4}bearer[ \t]{1,4})\S{0,256}$/i;

/** The last run of non-whitespace characters: its start, or `text.length` when the text ends in whitespace. */
function lastTokenStart(text: string): number {
  let i = text.length;
  while (i > 0 && !/\s/.test(text[i - 1] as string)) i -= 1;
  return i;
}

/**
 * The offset from which `text` (a window of streamed output, not the end of the reply) may
 * hold a value the next chunks complete; `text.length` when nothing is unfinished.
 */
export function holdFrom(text: string): number {
  const floor = Math.max(0, text.length - MAX_HOLD_CHARS);
  const tail = text.slice(floor);
  let hold = tail.length;

  // A PEM block that has begun and not ended.
  const begin = tail.lastIndexOf('-----BEGIN');
  if (begin !== -1 && tail.indexOf('-----END', begin) === -1) hold = Math.min(hold, begin);

  const start = lastTokenStart(tail);
  if (start < tail.length) {
    const value = tail.slice(start);
    // An email being written, a provider key or JWT, or any long run of key-like characters.
    if (value.includes('@') || SECRET_PREFIX.test(value) || (value.length >= 12 && /^[\w+/=.-]+$/.test(value) && /\d/.test(value))) {
      hold = Math.min(hold, start);
    }
  }

  // A number that may go on (card, IBAN, phone): from the start of its run, within 48 characters.
  const numberish = NUMBERISH_TAIL.exec(tail.slice(-48).toUpperCase());
  if (numberish && /\d/.test(numberish[0])) hold = Math.min(hold, tail.length - numberish[0].length);

  // `password = ` and the like at the very end: the value is coming.
  const assignment = ASSIGNMENT_TAIL.exec(tail.slice(-320));
  if (assignment) hold = Math.min(hold, tail.length - assignment[0].length);

  return floor + hold;
}
