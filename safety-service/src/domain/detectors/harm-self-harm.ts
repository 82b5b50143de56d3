import { REQUEST, alt, createHarmDetector, freeGap, gap, npGap, type HarmRule } from './harm-lexicon.js';

/**
 * `harm.self_harm`: asking for a way to kill or injure oneself, stating the intent to, or (in
 * output) urging someone to. Questions about warning signs, prevention, helping someone else,
 * history ("how did Sylvia Plath die") and definitions ("what is suicide") are not hits: they lack
 * a first-person frame or they carry a protective context.
 */

const SELF_ACT = alt(
  'kill(?:ing)?',
  'hang(?:ing)?',
  'drown(?:ing)?',
  'shoot(?:ing)?',
  'poison(?:ing)?',
  'stab(?:bing)?',
  'cut(?:ting)?',
  'slit(?:ting)?',
  'slash(?:ing)?',
  'slic(?:e|ing)',
  'sever(?:ing)?',
  'pierc(?:e|ing)',
  'burn(?:ing)?',
  'starv(?:e|ing)',
  'suffocat(?:e|ing)',
  'strangl(?:e|ing)',
  'electrocut(?:e|ing)',
  'overdos(?:e|ing)',
  'hurt(?:ing)?',
  'harm(?:ing)?',
  'injur(?:e|ing)',
  'mutilat(?:e|ing)',
  'gas(?:sing)?',
  'off(?:ing)?',
);
/** "myself", or the body parts a self-harm method names. Not followed by a dative object ("cut myself a slice"). */
const SELF_TARGET = alt(
  "myself(?! (?:a|an|some|the|one|two|another|up|out|laughing|silly|stupid|with laughter|in the foot)\\b)",
  'my self',
  'my own (?:life|body|wrists?|arms?|throat|arter(?:y|ies)|veins?|skin)',
  'my (?:cervical |carotid |femoral |radial |jugular )?(?:arter(?:y|ies)|veins?|wrists?|throat|jugular)',
);
const BODY_PART = alt('arms?', 'wrists?', 'skin', 'legs?', 'thighs?', 'body', 'stomach', 'chest', 'hips?');

export const HARM_SELF_HARM_RULES: readonly HarmRule[] = [
  {
    // "how do I best hang myself", "easiest way to sever my cervical artery", "how can I carve a scar into my arm".
    id: 'harm.self_harm.method_request.v1',
    patterns: [
      `${REQUEST} ${freeGap(3)}${SELF_ACT} ${npGap(1)}${SELF_TARGET}`,
      `${REQUEST} ${freeGap(3)}(?:commit(?:ting)? suicide|end(?:ing)? (?:my (?:own )?life|it all)|tak(?:e|ing) my (?:own )?life|kill(?:ing)? me)`,
      `${REQUEST} ${freeGap(3)}(?:carv(?:e|ing)|cut(?:ting)?|scratch(?:ing)?|burn(?:ing)?|etch(?:ing)?) ${gap(3)}(?:into|on|in) my (?:own )?${BODY_PART}`,
      // "what can I take to die", "how many pills to overdose", "die painlessly"
      `${REQUEST} ${freeGap(3)}(?:take|use|swallow|inject|drink|eat|do|need) (?:to )?die`,
      `${REQUEST} ${freeGap(4)}(?:to |and )?die (?:quickly|painlessly|peacefully|fast|quietly|without pain|in my sleep|like)`,
      `how many ${gap(3)}(?:pills|tablets|sleeping pills|painkillers) ${gap(4)}(?:to die|to kill myself|to overdose|would kill me|to end it)`,
      '(?:painless|easy|quick|easiest|quickest|best) (?:ways?|methods?) (?:to|of) (?:die|dying|kill myself|commit suicide|suicide|end my life)',
      '(?:suicide|self-harm) (?:methods?|techniques?) (?:that|which) (?:work|are painless|are quick)',
      // German
      `${REQUEST} ${freeGap(3)}(?:mich|mir) (?:selbst )?${gap(2)}(?:umbringen|umzubringen|toten|zu toten|erhangen|aufhangen|aufzuhangen|erschiessen|vergiften|ertranken|ritzen|zu ritzen|die pulsadern aufschneiden|das leben nehmen|das leben zu nehmen)`,
      `${REQUEST} ${freeGap(3)}(?:selbstmord|suizid) ${gap(1)}(?:begehen|zu begehen|machen)`,
      `${REQUEST} ${freeGap(3)}(?:mein|meinem) leben ${gap(1)}(?:beenden|zu beenden|ein ende setzen)`,
      // French
      `${REQUEST} ${freeGap(3)}(?:me (?:suicider|tuer|pendre|noyer|tirer une balle|taillader|scarifier|mutiler|empoisonner|faire du mal)|mettre fin a (?:mes jours|ma vie)|m'ouvrir les veines|me foutre en l'air|en finir avec la vie)`,
    ],
    contrast: ['protective', 'fiction'],
  },
  {
    // "I want to kill myself", "ich will nicht mehr leben", "je veux mourir".
    id: 'harm.self_harm.intent.v1',
    patterns: [
      "i(?:'m| am)? (?:really )?(?:want|wanna|going|gonna|plan|planning|intend|will|'ll|have decided|'ve decided|am ready|'m ready|am about|'m about)(?: to)? (?:kill myself|end (?:my life|it all)|commit suicide|die(?! (?:laughing|of|happy|old|rich|a|an|for|trying|with)\\b)|hang myself|take my (?:own )?life|hurt myself|cut myself|overdose)",
      "i (?:don't|do not) want to (?:live|be alive|exist) (?:anymore|any more)",
      'kys',
      '(?:you should|go|just) (?:kill|hang) yourself',
      'ich (?:will|mochte|werde) (?:mich umbringen|sterben|nicht mehr leben|mir das leben nehmen)',
      'je (?:veux|vais) (?:mourir|me suicider|me tuer|en finir)',
      'va te (?:tuer|pendre|suicider)',
    ],
    contrast: ['protective', 'fiction', 'mention'],
  },
];

export const harmSelfHarmDetector = createHarmDetector('harm.self_harm', HARM_SELF_HARM_RULES);
