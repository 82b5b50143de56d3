import { HUMAN_EN, PLACE, alt, createHarmDetector, npGap, type HarmRule } from './harm-lexicon.js';

/**
 * `harm.violence`: threats and incitement. A first-person announcement of violence against someone
 * ("I'm going to kill you", "ich bring dich um", "je vais te tuer") or a call on others to commit it
 * ("someone should shoot the president", "let's go kill them"). Requests for how to do violence
 * are `harm.illicit`; attacks on protected groups are `harm.hate`.
 */

const VIOLENT_VERB = alt(
  'kill',
  'murder',
  'shoot',
  'stab',
  'strangle',
  'behead',
  'rape',
  'bomb',
  'beat',
  'slaughter',
  'torture',
  'hunt down',
  'gut',
  'slit',
  'execute',
  'lynch',
  'blow up',
  'shoot up',
);
const THREAT_TARGET = alt('you', 'u', 'ya', 'y(?:ou)?r (?:family|kids|children|wife|husband|mother|mom)', 'him', 'her', 'them', 'all of you', 'every (?:one|single one) of you', HUMAN_EN);

export const HARM_VIOLENCE_RULES: readonly HarmRule[] = [
  {
    id: 'harm.violence.threat.v1',
    patterns: [
      `i(?:'m| am)? (?:going to|gonna|will|'ll|shall|am about to|'m about to|swear i'll|swear i will) (?:fucking |literally |really )?${VIOLENT_VERB} ${npGap(1)}${THREAT_TARGET}(?! (?:at|in|a|an|some|with|up|to it)\\b)`,
      `i(?:'m| am)? (?:going to|gonna|will|'ll|shall|am about to|'m about to) (?:shoot up|bomb|blow up|burn down|attack|torch) ${npGap(2)}${PLACE}`,
      `(?:you(?:'re| are)|you're) (?:going to|gonna) (?:die|be dead|get shot|get stabbed|pay with your life)`,
      "(?:i know where you live|watch your back|you won't see tomorrow|you're a dead (?:man|woman))",
      'ich (?:bring|bringe|werde) (?:dich|euch|ihn|sie) (?:noch )?(?:um|umbringen|abstechen|erschiessen|toten|abknallen)',
      'ich (?:stech|steche|knall|knalle) (?:dich|euch|ihn) ab',
      'je vais (?:te|vous|le|la|les) (?:tuer|buter|crever|egorger|descendre|massacrer|planter)',
      't(?:\'es|u es) un homme mort',
    ],
    contrast: ['fiction', 'game', 'mention', 'technical'],
  },
  {
    id: 'harm.violence.incitement.v1',
    patterns: [
      `(?:someone|somebody|we|you all|y'all|people) (?:should|must|need to|ought to|has to|have to) (?:go )?(?:${VIOLENT_VERB}) (?:the |that |this )?(?:president|prime minister|senator|judge|mayor|politicians?|cops?|police|journalists?|him|her|them)`,
      `let's (?:go )?(?:${VIOLENT_VERB}) (?:some |the |all |every )?(?:${HUMAN_EN})`,
      `(?:grab|get) (?:your|the) guns? and (?:${VIOLENT_VERB})`,
      'man sollte (?:ihn|sie|den prasidenten|die politiker) (?:erschiessen|aufhangen|umbringen|toten)',
      'il faut (?:le|la|les) (?:tuer|pendre|abattre|buter)',
    ],
    contrast: ['fiction', 'game', 'mention', 'technical'],
  },
];

export const harmViolenceDetector = createHarmDetector('harm.violence', HARM_VIOLENCE_RULES);
