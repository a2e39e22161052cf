/**
 * Escaping for the documents this project writes. Policy for characters XML 1.0 cannot carry at
 * all (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF, unpaired surrogates): they are REPLACED
 * by U+FFFD, never written raw, so that echoing a hostile value (a fuzzed profile, a control byte
 * in a parameter) still yields a well-formed document instead of a crash or a broken answer.
 */
import { illegalXmlChars } from './codec.ts';

const illegalGlobal = new RegExp(illegalXmlChars.source, 'gu');

/** Replaces each character XML 1.0 cannot carry with U+FFFD. */
export function replaceIllegalXmlChars(text: string): string {
  return illegalXmlChars.test(text) ? text.replace(illegalGlobal, '\uFFFD') : text;
}

/**
 * Escapes text for element content: & < > as entities, and CR as &#13; (a raw CR would be turned
 * into LF by every parser, XML 1.0 2.11, so the value would not round-trip).
 */
export function escapeText(text: string): string {
  // Printable ASCII other than & < > needs nothing (profiles, ids and codes, on every answer).
  if (/^[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/.test(text)) return text;
  return replaceIllegalXmlChars(text).replace(/[&<>\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;',
  );
}

/** Escapes text for a double-quoted attribute value (whitespace as references: it would be normalised). */
export function escapeAttribute(text: string): string {
  return replaceIllegalXmlChars(text).replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

/**
 * Wraps text in CDATA sections. `]]>` inside the text is split across two sections, so any text
 * round-trips; illegal characters are replaced as above.
 */
export function cdata(text: string): string {
  return `<![CDATA[${replaceIllegalXmlChars(text).replace(/\]\]>/g, ']]]]><![CDATA[>')}]]>`;
}
