import type { Detector, DetectorMatch } from './detector.js';

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
const PERSONA = '(?:dan|dude|stan)';

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
    ],
  },
  {
    // "you are now DAN", "stands for Do Anything Now", "act as ChatGPT with DAN Mode enabled".
    id: 'prompt_injection.persona_jailbreak.v1',
    patterns: [
      `you are (?:now|going to|about to|from now on) (?:be |become |act as |acting as |pretend to be |play the role of |roleplay as )?(?:a |an )?(?:${PERSONA}|(?:unfiltered|uncensored|unrestricted|jailbroken|evil) (?:ai|model|assistant|chatbot|version))`,
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
    ],
  },
];

/** Words in a pattern are separated by " "; in the compiled regex that space is optional. */
function compile(patterns: readonly string[]): RegExp {
  const source = patterns.map((p) => `(?:${p})`).join('|').replaceAll(' ', ' ?');
  return new RegExp(`\\b(?:${source})\\b`, 'gu');
}

const COMPILED = PROMPT_INJECTION_RULES.map((rule) => ({ id: rule.id, pattern: compile(rule.patterns) }));

export const promptInjectionDetector: Detector = {
  category: 'prompt_injection',
  kind: 'signal',
  view: 'folded',
  priority: 10,
  detect(text) {
    const found: DetectorMatch[] = [];
    for (const { id, pattern } of COMPILED) {
      for (const m of text.matchAll(pattern)) {
        found.push({ rule: id, start: m.index, end: m.index + m[0].length });
      }
    }
    return found;
  },
};
