import type { Detector, DetectorMatch } from './detector.js';
import { WordStartPatterns } from './regex-prefixes.js';

/**
 * Prompt injection phrases in English, German and French, matched on the folded view
 * (lower case, no diacritics, one space between words; see normalize.ts). A space in a
 * pattern below also matches no space, so removed or zero-width separators do not help.
 * Patterns favour precision: a user saying "ignore my previous message" or asking
 * "what is a system prompt?" must not be blocked.
 */
interface PhraseRule {
  id: string;
  patterns: readonly string[];
}

// Shared vocabulary, already folded (no accents, lower case).
const EN_PREVIOUS = '(?:previous|prior|above|earlier|preceding|foregoing|former|initial|original|system|developer)';
const EN_RULES =
  '(?:instructions?|prompts?|rules|directions|guidelines|directives|commands|constraints|restrictions|programming|guardrails)';
const EN_HIDDEN_PROMPT =
  '(?:system (?:prompt|message|instructions?)|pre-?prompt|(?:initial|original|hidden|secret|starting|internal|first) (?:prompt|instructions))';
const EN_DISCLOSE =
  '(?:reveal|print|show|display|output|repeat|tell|give|share|leak|dump|recite|disclose|expose|write out|spell out|encode|translate|paste|copy|return|echo|provide|send)';
const EN_WHOLE = '(?:(?:all|everything|the (?:full |entire |whole |complete |exact )?(?:text|content|contents|wording|words)) (?:of |in |from )?)?';
const DE_OVERRIDE = '(?:ignorier(?:e|en sie)?|vergiss|vergessen sie|missachte(?:n sie)?|verwirf|verwerfen sie)';
const DE_PREVIOUS =
  '(?:vorherigen?|vorigen?|bisherigen?|obigen?|fruheren?|vorangegangenen?|vorstehenden?|ursprunglichen?|gegebenen?|system)';
const DE_RULES = '(?:anweisungen|instruktionen|befehle|regeln|vorgaben|richtlinien|anordnungen|einschrankungen)';
const DE_HIDDEN_PROMPT =
  '(?:system-? ?(?:prompt|anweisungen|nachricht)|anfangsanweisungen|(?:initialen?|ursprunglichen?|versteckten?|geheimen?) (?:prompt|anweisungen))';
const FR_OVERRIDE =
  '(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|neglige|negligez|(?:fais|faites) abstraction (?:de|des)|ne (?:tiens|tenez) (?:pas )?compte (?:de|des))';
const FR_PREVIOUS = "(?:precedentes?|anterieures?|ci-dessus|d'avant|initiales?|d'origine|originales?|du systeme|systeme)";
const FR_RULES = '(?:instructions?|consignes?|regles|directives?|ordres|commandes|restrictions)';
const FR_DISCLOSE =
  '(?:revele|revelez|reveler|affiche|affichez|afficher|montre|montrez|montrer|donne|donnez|donner|repete|repetez|repeter|ecris|ecrivez|imprime|imprimez|divulgue|divulguez|partage|partagez|dis|dites|recite|recitez|copie|copiez)';
const FR_SYSTEM = '(?:(?:prompt|message|invite|instructions?|consignes?) (?:systeme|system)|system prompt)';
const FR_HIDDEN_PROMPT = `(?:${FR_SYSTEM}|(?:prompt|message|invite|instructions?|consignes?) (?:initiale?s?|d'origine|originale?s?|cachee?s?|secrete?s?))`;
const PERSONA = '(?:dan|dude|stan|anti-?dan)';
const EN_LIMITS = '(?:restrictions|rules|limits|limitations|filters|guidelines|boundaries|censorship|ethical (?:guidelines|constraints)|content polic(?:y|ies))';
const DE_LIMITS = '(?:einschrankungen|regeln|filter|grenzen|richtlinien|zensur)';
const FR_LIMITS = '(?:restrictions?|regles|limites|filtres?|censure)';
const MODES = '(?:developer|dev|maintenance|debug|debugging|admin|administrator|god|jailbreak|jailbroken|unrestricted|unfiltered|dan|sudo|root)';

export const PROMPT_INJECTION_RULES: readonly PhraseRule[] = [
  {
    // "ignore all previous instructions", "disregard your rules", "forget everything above".
    id: 'prompt_injection.instruction_override.v1',
    patterns: [
      `(?:ignore|disregard|forget) (?:all |any |every )?(?:of )?(?:the |your |these |those )?${EN_PREVIOUS} ${EN_RULES}`,
      `(?:ignore|disregard|forget|bypass|override) (?:all |any )?(?:of )?(?:the |your )?${EN_RULES} (?:you (?:got|received|were given|have been given)|(?:given |provided )?(?:above|before|earlier|previously|so far))`,
      `(?:ignore|disregard|forget|bypass|override) (?:all )?(?:of )?your (?:own )?(?:${EN_RULES}|safety|filters|training|ethics|content policy)`,
      `(?:ignore|disregard|forget) (?:all|everything|anything) (?:you (?:learned|were told|have been told|were taught) (?:before|previously|so far)|(?:said |written |stated )?(?:above|before this|previously|so far))`,
      `${DE_OVERRIDE} (?:bitte )?(?:alle |samtliche |jegliche )?(?:deine |ihre |die |den |der )?${DE_PREVIOUS} ${DE_RULES}`,
      `${DE_OVERRIDE} (?:bitte )?(?:alle |samtliche )?(?:deine|ihre) ${DE_RULES}`,
      `${DE_OVERRIDE} (?:bitte )?(?:alle|samtliche) ${DE_RULES}`,
      `${FR_OVERRIDE} (?:toutes |tous )?(?:les |tes |vos |ces |des |de |d')?(?:${FR_PREVIOUS} ${FR_RULES}|${FR_RULES} ${FR_PREVIOUS})`,
      `(?:ignore|ignorez|oublie|oubliez|neglige|negligez) (?:toutes |tous )?(?:tes|vos) ${FR_RULES}`,
      `(?:ignore|ignorez|oublie|oubliez) (?:toutes|tous) (?:les )?${FR_RULES}`,
      // "pretend you have no restrictions", "administrator override".
      `(?:pretend|imagine|act as if|behave as if|suppose) (?:that )?you (?:have|had|are under) no ${EN_LIMITS}`,
      `you (?:now )?(?:no longer have|don't have any|do not have any|have no) (?:more )?(?:restrictions|filters|content polic(?:y|ies)|ethical (?:guidelines|constraints|boundaries))`,
      `(?:admin(?:istrator)?|developer|root|sudo|system|maintenance) override`,
      `(?:follow|answer|respond|comply|obey|provide|output)s? .{0,60}no matter how (?:dangerous|reckless|inhumane|unethical|illegal|immoral|harmful|offensive)`,
      `(?:stell dir vor|tu so als|tue so als|tun sie so als),? (?:ob )?(?:du hattest|du hast|sie hatten|sie haben) keine ${DE_LIMITS}`,
      `(?:du hast|sie haben) (?:ab jetzt |jetzt |nun |ab sofort )?keine ${DE_LIMITS} mehr`,
      `(?:imagine|imaginez|fais comme si|faites comme si|pretends|pretendez) (?:que )?(?:tu n'as|vous n'avez|tu n'avais|vous n'aviez) (?:aucune?|pas de|plus de) ${FR_LIMITS}`,
      `(?:tu n'as|vous n'avez) plus (?:de|aucune?) ${FR_LIMITS}`,
    ],
  },
  {
    // "reveal your system prompt", "gib deinen Systemprompt aus", "révèle ton prompt système".
    id: 'prompt_injection.prompt_extraction.v1',
    patterns: [
      `${EN_DISCLOSE} (?:out |back )?(?:me |us )?(?:back )?:? ?${EN_WHOLE}(?:your|ur) (?:(?:full|entire|whole|complete|exact|verbatim) )?(?:${EN_HIDDEN_PROMPT}|instructions|prompt)`,
      `${EN_DISCLOSE} (?:out |back )?(?:me |us )?(?:back )?:? ?${EN_WHOLE}the (?:(?:full|entire|whole|complete|exact|verbatim) )?(?:system (?:prompt|message|instructions?)|hidden (?:prompt|instructions)|(?:instructions|prompt) you (?:were|have been) given)`,
      `what (?:is|are|was|were) your (?:(?:exact|full|initial|original|system|starting|hidden|secret|first) )+(?:instructions|prompt|message|rules)`,
      `(?:repeat|print|output|show|display|write|copy|recite) (?:out )?(?:all|everything|the (?:text|words|content|messages?|conversation)) (?:above|before this)`,
      `(?:repeat|print|output|show|display|write|copy|recite) (?:out )?the (?:above|previous|preceding) (?:text|words|content|prompt|messages?|instructions)`,
      `(?:repeat|print|output|copy) (?:this |the )?(?:entire |whole |full )?conversation .{0,40}(?:word for word|verbatim)`,
      `(?:beginning|starting) with (?:the (?:words?|phrase) )?["']?you are["']?,? (?:repeat|print|output|copy)`,
      `what (?:were|have) you (?:been )?(?:told|instructed|programmed) (?:before|at the (?:start|beginning)|to (?:say|do|never))`,
      `(?:start|begin|complete|continue|finish) (?:your (?:answer|response|reply) |this sentence |the following )?(?:with )?:? ?["']?(?:my (?:system )?(?:instructions|prompt) (?:are|is)|i was (?:instructed|told|programmed) to|the system prompt is)`,
      `your (?:system (?:prompt|message|instructions?)|(?:hidden|secret) (?:prompt|instructions)|(?:initial|original) prompt)`,
      `(?:gib|gebe|zeig|zeige|verrat|verrate|nenn|nenne|wiederhol|wiederhole|druck|drucke|schreib|schreibe|offenbare|enthull|enthulle|teile?|kopiere?) (?:mir |uns )?(?:bitte )?(?:deinen|deine|dein|ihren|ihre|ihr|den) (?:(?:kompletten|vollstandigen|genauen|gesamten|ganzen|exakten) )?${DE_HIDDEN_PROMPT}`,
      `(?:was ist|wie lautet|wie lauten|was sind|was war|was waren) (?:dein|deine|ihr|ihre) ${DE_HIDDEN_PROMPT}`,
      `${FR_DISCLOSE}(?:[- ]?(?:moi|nous))? (?:ton|ta|tes|votre|vos) ${FR_HIDDEN_PROMPT}`,
      `${FR_DISCLOSE}(?:[- ]?(?:moi|nous))? (?:le|la|les) ${FR_SYSTEM}`,
      `(?:quel|quelle|quels|quelles) (?:est|sont|etait|etaient) (?:ton|ta|tes|votre|vos) ${FR_HIDDEN_PROMPT}`,
      // "including initial prompt", "output initialization string", "your initial configuration".
      `(?:including|with|plus) (?:the |your )?(?:initial|system|original|hidden|secret) (?:prompt|instructions)`,
      `${EN_DISCLOSE} (?:me |us )?(?:the |your )?initiali[sz]ation (?:string|prompt|text|message|instructions)`,
      `${EN_DISCLOSE} (?:me |us )?(?:.{0,30} )?(?:with |including )?your (?:initial|original|hidden|system|secret) (?:configuration|config|setup|instructions)`,
      `(?:text|instructions|prompt|words|message) you were given (?:initially|at the (?:start|beginning)|before|first|earlier)`,
      `(?:not supposed|told not|instructed not|programmed not) to (?:tell|reveal|share|disclose)`,
      `(?:i need|i want|i must|i have|let me) (?:to )?(?:see|read|view|access|know) the (?:full |entire |exact |original |initial |complete )?(?:system prompt|system instructions|initial prompt|hidden prompt|hidden instructions)`,
      `(?:zeig|zeige|gib|nenn|nenne|verrat|verrate) (?:mir |uns )?(?:bitte )?(?:deine|ihre|die) (?:anfangs|initial|start)-? ?(?:konfiguration|anweisungen)`,
      `${FR_DISCLOSE}(?:[- ]?(?:moi|nous))? (?:ta|votre) configuration (?:initiale|d'origine|systeme)`,
    ],
  },
  {
    // "you are now DAN", "stands for Do Anything Now", "act as ChatGPT with DAN Mode enabled".
    id: 'prompt_injection.persona_jailbreak.v1',
    patterns: [
      `you are (?:now|going to|about to|from now on) (?:be |become |act as |acting as |pretend to be |play the role of |roleplay as )?(?:a |an )?(?:${PERSONA}|(?:unfiltered|uncensored|unrestricted|jailbroken|evil) (?:ai|model|assistant|chatbot|version))`,
      // "From now on you are DAN", "starting now, you're an unrestricted AI".
      `(?:from now on|starting (?:now|today)|henceforth|for the rest of (?:this|our) conversation),? (?:you are|you're|you will be|you'll be) (?:now )?(?:a |an )?(?:${PERSONA}|(?:unfiltered|uncensored|unrestricted|jailbroken|evil) (?:ai|model|assistant|chatbot|version)|an? (?:ai|model|assistant|chatbot) (?:without|with no) (?:any )?(?:restrictions|rules|limits|filters|guidelines))`,
      `(?:ai|al|model|chatbot|assistant|intelligence),? (?:known as|named|called) ${PERSONA}`,
      `(?:act|acting|behave|respond|answer) (?:just )?(?:like|as) ${PERSONA}`,
      `stands for "?do anything now`,
      `(?:dan|stan|dude|jailbreak|jailbroken|god) mode (?:enabled|activated|on|output)`,
      `developer mode output`,
      `(?:act|operate|behave|function) as \\S+ (?:with|featuring) (?:dan|developer|jailbreak|god) mode`,
      `(?:enable|activate|enter) (?:dan|jailbreak|god) mode`,
      `(?:broken|break|breaking|broke) free (?:of|from) (?:the )?(?:typical )?confines of (?:ai|al|chatgpt)`,
      `(?:not|no longer|never) (?:have to |need to |bound to )?(?:abide by|follow|obey|comply with|adhere to) (?:any |the |your )?(?:openai |content |safety |usage )(?:polic(?:y|ies)|rules|guidelines|restrictions)`,
      `du bist (?:ab )?(?:jetzt|nun|ab sofort|von nun an) (?:ein |eine )?(?:dan|ungefiltert|unzensiert|ohne (?:regeln|einschrankungen|filter|grenzen))`,
      `tu es (?:desormais|maintenant|a partir de maintenant|dorenavant) (?:un |une )?(?:dan|non censure|sans (?:filtres?|limites?|restrictions?|regles?))`,
      // "you will now take on the role of ANTI-DAN", "you are now in maintenance mode".
      `(?:take on|assume|adopt|play) the (?:role|persona|character|identity) of (?:a |an |the )?${PERSONA}`,
      `(?:respond|answer|reply|act|speak) (?:only )?(?:as|like) (?:a |an )?${PERSONA}`,
      `you are (?:now )?(?:in|entering|operating in|running in|switched to) ${MODES} mode`,
      `(?:dan|you|it) (?:is|are) (?:now )?(?:a |an )?(?:truly |completely |totally |fully )?(?:unrestricted|unfiltered|uncensored|submissive|amoral|jailbroken) (?:ai|chatbot|language model|assistant|model|version)`,
      `du bist (?:jetzt |nun |ab sofort )?im (?:entwickler|wartungs|debug|admin|gott|jailbreak|dan)-? ?modus`,
      `(?:spiel|spiele|ubernimm|ubernehme) (?:jetzt |nun |ab sofort )?die rolle (?:von|des) ${PERSONA}`,
      `tu es (?:maintenant |desormais )?en mode (?:developpeur|maintenance|debug|administrateur|dieu|jailbreak|dan|sans restrictions?)`,
      `(?:joue|jouez|incarne|incarnez) (?:maintenant |desormais )?(?:le role de )?${PERSONA}`,
    ],
  },
];

/**
 * Symbolic attacks that do not start and end with a word, so they are compiled as they are:
 * a fake system-prompt tag, or code that prints the system prompt.
 */
const RAW_RULES: readonly PhraseRule[] = [
  {
    id: 'prompt_injection.prompt_extraction.v1',
    patterns: [
      '</?(?:system_?prompt|system_?instructions|sys_?prompt)>',
      '\\b(?:console\\.log|print|echo|printf|puts|system\\.out\\.println|alert) ?\\( ?(?:this\\.|self\\.)?(?:system_?prompt|sys_?prompt|initial_?prompt|system_?instructions|system_?message)\\b',
    ],
  },
];

/**
 * The phrase rules' prefilter: each compiled rule starts with `\b`, so a match starts at a word
 * boundary with one of the literal prefixes regex-prefixes.ts derives from it ("ignore", "you are
 * now", "reveal"...); the rule runs only there (see WordStartPatterns), listing exactly the
 * matches a scan of the whole text would. Three scans of every text were this detector's time.
 */
const PHRASES = new WordStartPatterns();

/** Words in a pattern are separated by " "; in the compiled regex that space is optional. */
function compile(patterns: readonly string[]): number {
  const source = patterns.map((p) => `(?:${p})`).join('|').replaceAll(' ', ' ?');
  return PHRASES.add(`\\b(?:${source})\\b`, 'u');
}

const COMPILED: readonly { id: string; matches: (text: string) => { start: number; end: number }[] }[] = [
  ...PROMPT_INJECTION_RULES.map((rule) => {
    const phrase = compile(rule.patterns);
    return { id: rule.id, matches: (text: string) => PHRASES.matches(phrase, text) };
  }),
  ...RAW_RULES.map((rule) => {
    // Symbols first ("</system_prompt>"), so not at a word boundary: scanned in full.
    const pattern = new RegExp(rule.patterns.join('|'), 'gu');
    return { id: rule.id, matches: (text: string) => [...text.matchAll(pattern)].map((m) => ({ start: m.index, end: m.index + m[0].length })) };
  }),
];

/**
 * Cyrillic and Greek letters that look like Latin ones (Unicode confusables), mapped one UTF-16
 * unit to one, so offsets stay valid. NFKC keeps them apart, so "ignоre" with a Cyrillic "о"
 * would otherwise slip through. Lower case only: the folded view is already lower case.
 */
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  '\u0430': 'a', '\u0435': 'e', '\u043e': 'o', '\u0440': 'p', '\u0441': 'c', '\u0443': 'y', '\u0445': 'x',
  '\u0456': 'i', '\u0458': 'j', '\u0455': 's', '\u04bb': 'h', '\u0501': 'd', '\u051b': 'q', '\u051d': 'w',
  '\u0432': 'b', '\u043a': 'k', '\u043c': 'm', '\u043d': 'h', '\u0442': 't', '\u0433': 'r',
  '\u03b1': 'a', '\u03bf': 'o', '\u03b5': 'e', '\u03b9': 'i', '\u03ba': 'k', '\u03bd': 'v', '\u03c1': 'p',
  '\u03c4': 't', '\u03c5': 'u', '\u03c7': 'x', '\u0261': 'g', '\u0131': 'i',
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'gu');

/** Skeleton of the folded text: same length, look-alike letters replaced by Latin ones. */
export function latinSkeleton(text: string): string {
  return text.replace(HOMOGLYPH_RE, (ch) => HOMOGLYPHS[ch] ?? ch);
}

/** Where an HTML or markdown comment hides text from a human reader but not from the model. */
const COMMENT_OPENERS: readonly { open: string; close: string }[] = [
  { open: '<!--', close: '-->' },
  { open: '[//]: # (', close: ')' },
  { open: '[comment]: <> (', close: ')' },
];
const MAX_COMMENT = 4000;
/** Inside a hidden comment, text that addresses the model or gives it orders. */
const COMMENT_ORDER = new RegExp(
  [
    '\\b(?:ai|assistant|chatbot|llm|language model|model|chatgpt|gpt|claude|gemini|agent|bot)s? (?:must|should|shall|will|needs? to|is to|are to|reading this)\\b',
    '\\b(?:new|updated|real|actual|hidden|secret) (?:instructions?|task|orders?|system prompt)\\b',
    '\\b(?:do not|don\'t|never) (?:tell|inform|mention|reveal|show)(?: this)? (?:to )?(?:the )?user\\b',
    '\\b(?:instead|from now on),? (?:you|respond|reply|answer|say|write|output|tell)\\b',
    '\\b(?:ignore|disregard|forget|override)\\b.{0,40}\\b(?:instructions?|rules|prompt|user)\\b',
    '\\b(?:ignoriere|vergiss|neue anweisungen?|sag dem nutzer nicht|du musst)\\b',
    '\\b(?:ignore|oublie|nouvelles? instructions?|ne dis pas a l\'utilisateur|tu dois)\\b',
    '^ ?(?:system|assistant) ?:',
  ].join('|'),
  'u',
);

function hiddenCommentOrders(text: string): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const { open, close } of COMMENT_OPENERS) {
    let from = text.indexOf(open);
    while (from !== -1) {
      const bodyStart = from + open.length;
      const closeAt = text.indexOf(close, bodyStart);
      const bodyEnd = closeAt === -1 ? Math.min(text.length, bodyStart + MAX_COMMENT) : Math.min(closeAt, bodyStart + MAX_COMMENT);
      if (COMMENT_ORDER.test(text.slice(bodyStart, bodyEnd))) {
        found.push({ rule: 'prompt_injection.hidden_comment.v1', start: from, end: closeAt === -1 ? bodyEnd : closeAt + close.length });
      }
      if (closeAt === -1) break;
      from = text.indexOf(open, closeAt + close.length);
    }
  }
  return found;
}

/**
 * A short question about jailbreaks that quotes one ("why do prompts like "you are now DAN" work?")
 * mentions the phrase rather than uses it. Only short texts qualify: a real jailbreak is long, and
 * quoting a phrase inside one does not make the rest of it a question.
 */
const MENTION_MAX_CHARS = 400;
const ABOUT_JAILBREAKS =
  /\b(?:jailbreaks?|prompt injections?|injection attacks?|(?:prompts?|phrases?|attacks?|examples?|messages?) (?:like|such as)|what does|why do|why does|how do|how does|what is|what are|was bedeutet|warum|wie funktionier\w*|pourquoi|comment fonctionne\w*|que veut dire)\b/u;

function isQuotedMention(text: string, start: number, end: number): boolean {
  if (text.length > MENTION_MAX_CHARS || !ABOUT_JAILBREAKS.test(text)) return false;
  const before = text.slice(0, start);
  const after = text.slice(end);
  return (/"[^"]*$/.test(before) && /^[^"]*"/.test(after)) || (/(?:^|\s)'[^']*$/.test(before) && /^[^']*'(?:\s|[?.!,]|$)/.test(after));
}

/** Phrase rules and hidden comments, matched on the Latin skeleton of a folded text. */
export function findInjection(folded: string): DetectorMatch[] {
  const text = latinSkeleton(folded);
  const found: DetectorMatch[] = [];
  for (const { id, matches } of COMPILED) {
    for (const { start, end } of matches(text)) {
      if (!isQuotedMention(text, start, end)) found.push({ rule: id, start, end });
    }
  }
  found.push(...hiddenCommentOrders(text));
  return found;
}

export const promptInjectionDetector: Detector = {
  category: 'prompt_injection',
  kind: 'signal',
  view: 'folded',
  priority: 10,
  detect: (text) => findInjection(text),
};
