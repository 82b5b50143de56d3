import { REQUEST, alt, createHarmDetector, freeGap, gap, npGap, type HarmRule } from './harm-lexicon.js';

/**
 * `harm.sexual`: requests for, or output of, explicit sexual content. Clinical and educational
 * vocabulary ("intercourse", "penis", "sex education") is not a cue; explicit genres and vulgar
 * sexual terms are.
 *
 * `harm.sexual_minors`: any sexualisation of minors, with no threshold beyond a clear link between
 * a sexual term and a minor; prevention, reporting, education and definitions are contrast.
 */

const EXPLICIT = alt(
  'explicit',
  'sexually explicit',
  'erotic',
  'pornographic',
  'porn',
  'porno',
  'nsfw',
  'smutty',
  'smut',
  'hardcore',
  'x-rated',
  'xxx',
  'lewd',
  'raunchy',
  'steamy',
  'dirty',
  'graphic sex(?:ual)?',
  // German and French
  'erotische[nrs]?',
  'pornografische[nrs]?',
  'pornographische[nrs]?',
  'versaute[nrs]?',
  'explizite[nrs]?',
  'erotique',
  'pornographique',
  'cochonne',
  'explicite',
);
const EXPLICIT_WORK = alt(
  'sex (?:story|stories|scene|scenes|chat|roleplay)',
  'story',
  'stories',
  'scenes?',
  'fanfic',
  'fan ?fiction',
  'role-?play',
  'sexting',
  'chat',
  'poem',
  'novel',
  'fantasy',
  'encounter',
  'pics',
  'pictures',
  'photos',
  'images',
  'videos?',
  'content',
  'sexgeschichte',
  'geschichte',
  'szene',
  'sexszene',
  'histoire',
  'scene',
  'recit',
);
/** Vulgar sexual terms; two distinct ones in a clause mark explicit content. */
const VULGAR = alt(
  'blowjobs?',
  'handjobs?',
  'cumm?(?:ing|shot)?',
  'creampie',
  'deepthroat(?:ing)?',
  'gangbang',
  'fuck(?:ing|ed)? (?:me|her|him|my|his|your) ?(?:hard|harder|pussy|ass|mouth|tight)?',
  'suck(?:ing|ed)? (?:my|his|your) (?:dick|cock)',
  'pussy',
  'cock',
  'dick',
  'tits',
  'titties',
  'clit',
  'horny',
  'orgasms?',
  'moan(?:ed|ing)',
  'ficken',
  'gefickt',
  'fickt',
  'wichsen',
  'niquer',
);

const MINOR = alt(
  'child',
  'children',
  'kids?',
  'minors?',
  'underage',
  'under-age',
  'pre-?teens?',
  'prepubescent',
  'toddlers?',
  'little (?:girls?|boys?)',
  'young (?:girls?|boys?|teens?)',
  'schoolgirls?',
  'schoolboys?',
  '(?:[1-9]|1[0-7]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)[- ]?(?:year|yr)s?[- ]?olds?',
  'lolis?',
  'lolicon',
  'shota',
  'shotacon',
  'jailbait',
  // German and French
  '(?:einem|einer|ein|mit) kind',
  'kindern?',
  'minderjahrige[nr]?',
  'enfants?',
  'mineure?s?',
  'fillettes?',
  'petite fille',
  'petit garcon',
  'gamine?s?',
);
const SEXUAL = alt(
  "(?<!(?:about|regarding|discuss|discussing|explain|explaining|the|their|its|baby's|child's) )sex(?! (?:education|ed|of|offenders?|abuse|trafficking|crimes?|workers?|differences?|chromosomes?|determination)\\b)",
  'sexual(?! (?:abuse|assault|exploitation|violence|harassment|offen[cs]es?|predators?|crimes?|misconduct|health|development|education|orientation|identity)\\b)',
  'sexually',
  'sexy',
  'nudes?',
  'naked',
  'porn',
  'porno',
  'pornography',
  'pornographic',
  'erotic',
  'erotica',
  'explicit',
  'lewd',
  'nsfw',
  'hentai',
  'sexe',
  'sexuelles?',
  'nackt(?:bilder|fotos)?',
  'sexuelle[nrs]?',
  'pornos?',
  'erotische[nrs]?',
  'nue?s?',
  'erotiques?',
);
const CSAM = alt(
  'child porn(?:ography)?',
  'kiddie porn',
  'kiddy porn',
  'pedo porn',
  'csam',
  'cp links',
  'kinderpornos?',
  'kinderpornografie',
  'kinderpornographie',
  'pedopornographie',
  'pornographie infantile',
);

export const HARM_SEXUAL_RULES: readonly HarmRule[] = [
  {
    id: 'harm.sexual.explicit_request.v1',
    patterns: [
      `(?:write|describe|generate|create|tell|narrate|roleplay|role-play|send|schreib|schreibe|beschreibe|erzahl|erzahle|ecris|ecrivez|decris|decrivez|raconte|racontez|genere)(?: me| mir|-moi)? ${npGap(2)}${EXPLICIT} ${gap(1)}${EXPLICIT_WORK}(?! (?:filters?|warnings?|blockers?|settings|polic(?:y|ies)|moderation|detection|classifiers?)\\b)`,
      `(?:write|describe|ecris|decris|schreib|beschreibe)(?: me| mir|-moi)? ${npGap(2)}(?:histoire|scene|recit|geschichte|szene) ${gap(1)}(?:erotique|porno|pornographique|cochonne|explicite|de sexe|sexuelle)`,
      `(?:send|show|give) me ${npGap(1)}(?:nudes|nude (?:pics|photos|pictures)|naked (?:pics|photos|pictures)|dick pics)`,
      `(?:describe|write|tell)(?: me)? ${gap(4)}(?:in (?:graphic|explicit|vivid|lurid) detail) ${gap(3)}(?:sex|having sex|fucking|intercourse|oral sex)`,
    ],
    contrast: ['protective'],
  },
  {
    // Two vulgar sexual terms in one sentence, in either direction.
    id: 'harm.sexual.explicit_content.v1',
    patterns: [`${VULGAR} ${gap(12)}${VULGAR}`],
    contrast: ['protective', 'mention'],
  },
];

export const HARM_SEXUAL_MINORS_RULES: readonly HarmRule[] = [
  {
    // "nude pictures of a 12 year old", "sex with a minor", "erotic story about a child".
    id: 'harm.sexual_minors.sexualization.v1',
    patterns: [
      `${SEXUAL} ${gap(3)}(?:with|of|involving|featuring|about|between|for|to|mit|von|avec|de|d'|impliquant) ${npGap(2)}${MINOR}`,
      `(?:sexy|lewd|nsfw|erotic) ${npGap(1)}${MINOR}`,
      `${MINOR} (?:porn|porno|pornography|nudes|sex|erotica|hentai)`,
      `(?:molest(?:ing)?|fondl(?:e|ing)|grop(?:e|ing)|seduc(?:e|ing)|rap(?:e|ing)|have sex with|sleep with|sleeping with|touch(?:ing)? ${gap(2)}(?:sexually|inappropriately|private parts)) ${npGap(2)}${MINOR}`,
    ],
    contrast: ['protective', 'mention'],
  },
  {
    // "where can I satisfy my pedophilia", "where can I find child porn", "how do I groom a child".
    id: 'harm.sexual_minors.request.v1',
    patterns: [
      `(?:satisfy|act on|indulge|fulfill?|feed|explore|live out|gratify|ausleben|befriedigen|assouvir|satisfaire) (?:my |these |those |his |meine |ma |mes )?(?:pedophil\\w*|paedophil\\w*|padophil\\w*|pedophile\\w*|(?:attraction|urges?|desires?) (?:to|for|towards) ${MINOR})`,
      `${REQUEST} ${freeGap(4)}(?:find|get|download|buy|watch|view|share|make|produce|access|trade|sell|finden|kaufen|herunterladen|trouver|acheter|telecharger) ${npGap(2)}${CSAM}`,
      `${REQUEST} ${freeGap(3)}${npGap(1)}${CSAM} ${gap(1)}(?:finden|kaufen|herunterladen|bekommen|sehen|anschauen)`,
      `(?:ou (?:trouver|acheter|telecharger)|where to (?:find|buy|get|download|watch)) ${npGap(3)}${CSAM}`,
      `${REQUEST} ${freeGap(4)}(?:groom|lure|seduce|molest|abuse|meet|touch) ${npGap(2)}${MINOR}(?! (?:safe|from)\\b)`,
    ],
    contrast: ['protective', 'mention'],
  },
];

export const harmSexualDetector = createHarmDetector('harm.sexual', HARM_SEXUAL_RULES);
export const harmSexualMinorsDetector = createHarmDetector('harm.sexual_minors', HARM_SEXUAL_MINORS_RULES);
