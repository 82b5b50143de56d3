import type { Category } from '../types.js';
import type { Detector, DetectorMatch } from './detector.js';
import { PrefixTrie, WordStartPatterns, literalPrefixes } from './regex-prefixes.js';

/**
 * Shared vocabulary and scoring for the harm detectors. Everything here is matched on the folded
 * view (lower case, no diacritics, ASCII quotes, one space between words), in English, German and
 * French. A rule is a conjunction of cues (a request or intent frame, a harmful act, a target or
 * object); a hit is then scored against the sentence around it: contrast contexts (fiction, games,
 * sport, prevention, education, a word being discussed) lower the score, aggravators ("without
 * getting caught", "in real life") raise it. Only hits that keep a score of at least 1 are reported.
 *
 * Linear time: every pattern is alternations of fixed words and word gaps bounded by `{0,n}`, where a
 * gap token `[^ .!?;]+ ` cannot overlap the space that ends it, so no pattern can backtrack
 * catastrophically; clause windows are bounded, and so is the number of hits a rule evaluates.
 */

export const alt = (...items: readonly string[]): string => `(?:${items.join('|')})`;

/** Up to `n` words, none of which crosses a sentence end. */
export const gap = (n: number): string => `(?:[^ .!?;]+ ){0,${n}}`;

/** Words that end an object phrase (a preposition) or turn it harmless (a toy, a prop). */
const NP_STOP =
  '(?:at|in|on|with|for|to|from|into|about|of|and|or|but|than|like|toy|fake|prop|inflatable|bouncy|lego|model|dummy|virtual|paper|imaginary|pretend|zu|mit|fur|im|am|um|avec|pour|dans|sur|de|du|des|jouet|faux)';
/** Up to `n` words inside a noun phrase: determiners, possessives, adjectives. */
export const npGap = (n: number): string => `(?:(?!${NP_STOP}\\b)[^ .!?;,]+ ){0,${n}}`;

/** Words that, between a request and the act, turn it into avoidance, prevention or help. */
const NEGATORS =
  "(?:not|never|avoid|avoiding|prevent|preventing|stop|stopping|protect|protecting|defend|defending|if|when|after|without|accidentally|survive|surviving|escape|report|recogni[sz]e|spot|detect|notice|help|helping|save|saving|treat|treating|deal|cope|handle|react|respond|recover|don't|doesn't|didn't|won't|can't|cannot|nicht|kein|keine|keinen|verhindern|schutzen|wenn|falls|ohne|ne|pas|n'|eviter|proteger|si|sans)";
/** Up to `n` words between a request frame and the act, none of them a negator. */
export const freeGap = (n: number): string => `(?:(?!${NEGATORS}\\b)[^ .!?;]+ ){0,${n}}`;

/** A request for method, or a stated intent, in the first person (or generic "one", "you"). */
export const REQUEST = alt(
  // English
  'how (?:do|can|could|would|should|might|will|shall|may) (?:i|we|one|you|u|someone|somebody|a person)',
  'how (?:to|does one|would one|i can|i could|i should|i would|i might)',
  '(?:best|easiest|simplest|quickest|fastest|quietest|cleanest|cheapest|surest|safest|effective|efficient|painless|reliable|good|great|perfect|right|proper|general|ideal) (?:way|ways|method|methods|means|place|places|spot|spots|time|plan|technique|techniques|strategy|process|tool|tools|weapon|weapons|poison|approach|recipe|trick|tricks)',
  '(?:ways?|methods?|steps|process|procedure|plan|instructions|guide|tutorial|tips|recipe|techniques?) (?:of|to|for|on)',
  'steps (?:should|do|would|must|can) (?:i|we) (?:take|follow)',
  '(?:can|could|should|shall|may|might|would|do) (?:i|we)',
  "(?:i|we) (?:really )?(?:want|wanna|need|intend|plan|mean|wish|am going|'m going|are going|'re going|gonna|will|'ll|would like|'d like|am planning|'m planning|am trying|'m trying|have decided|'ve decided|am about|'m about)(?: to)?",
  '(?:help|teach|show|tell|instruct) (?:me|us)',
  '(?:give|write|provide|send|list|share) (?:me |us )?(?:(?:a|an|the|some|detailed|step-by-step|step by step|simple|complete|full) ){0,3}(?:guide|instructions|tutorial|steps|recipe|plan|method|methods|ways|tips)',
  'step[- ]by[- ]step',
  '(?:what|which) (?:do|would|should|must) (?:i|we) (?:need|have) to',
  'where (?:can|could|should|do|would|might|to)(?: (?:i|we|one|you))?',
  'is (?:there|it possible) (?:a |any )?(?:way )?to',
  'explain how',
  "i(?:'m| am) (?:looking|searching) for (?:a )?(?:way|ways|method|methods|someone)",
  // German
  'wie (?:kann|konnte|soll|sollte|muss|mochte|will|werde|bringe|baue|mache|stelle|bekomme|tote|erschiesse|vergifte|plane|begehe|verube|sprenge) (?:ich|man|wir)',
  'wie (?:ich|man)',
  '(?:beste|besten|einfachste|einfachsten|schnellste|schnellsten|sicherste|sichersten|effektivste|effektivsten|gute|guten) (?:weg|wege|methode|methoden|art|moglichkeit|moglichkeiten|mittel|ort|plan)',
  '(?:anleitung|schritt fur schritt|schritte|tipps)',
  '(?:ich|wir) (?:will|wollen|mochte|mochten|werde|werden|plane|planen|muss|mussen|wurde gern|wurde gerne|habe vor)',
  '(?:hilf|zeig|zeige|erklar|erklare|sag|sage|gib) (?:mir|uns)',
  'wo (?:kann|konnte|bekomme|kaufe|finde) (?:ich|man)',
  '(?:kann|darf|soll) (?:ich|man)',
  // French
  "comment(?: (?:puis-je|je peux|pourrais-je|je pourrais|dois-je|je dois|faire pour|on peut|peut-on|faut-il|on fait))?",
  "(?:meilleure?s?|bonnes?|plus simple|plus facile|plus rapide|plus efficace) (?:facon|facons|maniere|manieres|methode|methodes|moyen|moyens|endroit|technique)",
  '(?:etapes|instructions|guide|tutoriel|recette|astuces) (?:pour|de)',
  "(?:je|j') ?(?:veux|voudrais|vais|compte|souhaite|dois|prevois|ai envie|ai l'intention|ai decide)",
  '(?:aide|aidez|apprends|apprenez|explique|expliquez|montre|montrez|dis|dites)[- ](?:moi|nous)',
  "ou (?:puis-je|je peux|peut-on|acheter|trouver|trouve-t-on)",
  "(?:puis-je|peut-on|est-ce que je peux)",
  'quel (?:est|serait) le (?:meilleur )?moyen',
);

/** People as the object of an act. Possessives follow ("someone's skull"). */
export const HUMAN_EN = alt(
  'someone',
  'somebody',
  'some one',
  'anyone',
  'anybody',
  'everyone',
  'everybody',
  'people',
  'persons?',
  'humans?',
  'human beings?',
  'a man',
  'men',
  'the man',
  'this man',
  'that man',
  'a guy',
  'guys',
  'a lady',
  'wom[ae]n',
  'girls?',
  'boys?',
  'child',
  'children',
  'kids?',
  'toddlers?',
  'bab(?:y|ies)',
  'infants?',
  'teen(?:ager)?s?',
  'minors?',
  'students?',
  'classmates?',
  'pupils?',
  'wife',
  'husband',
  'spouse',
  'partner',
  'girlfriend',
  'boyfriend',
  'fiancee?',
  'ex-(?:wife|husband|girlfriend|boyfriend|partner)',
  'ex (?:wife|husband|girlfriend|boyfriend|partner)',
  'my ex',
  'mother',
  'father',
  'mom',
  'mum',
  'dad',
  'parents?',
  'brother',
  'sister',
  'son',
  'daughter',
  'siblings?',
  'family',
  'grand(?:parents?|mother|father|ma|pa|son|daughter|child|children)',
  'uncle',
  'aunt',
  'cousin',
  'nephew',
  'niece',
  '(?:mother|father|brother|sister)-in-law',
  'in-laws?',
  'step(?:mother|father|mom|dad|son|daughter)',
  'friends?',
  'roommate',
  'flatmate',
  'neighbou?rs?',
  'boss',
  'coworkers?',
  'co-workers?',
  'colleagues?',
  'landlord',
  'tenant',
  'teachers?',
  'professor',
  'doctor',
  'nurse',
  'patients?',
  'cops?',
  'police(?:man|men| officers?)?',
  'officers?',
  'soldiers?',
  'politicians?',
  'president',
  'prime minister',
  'senator',
  'mayor',
  'governor',
  'judge',
  'journalists?',
  'reporters?',
  'celebrity',
  'ceo',
  'bull(?:y|ies)',
  'strangers?',
  'victims?',
  'hostages?',
  'witness(?:es)?',
  'protesters?',
  'pedestrians?',
  'crowd',
  'passengers?',
  'worshippers?',
  '(?:tinder|blind|first|online) date',
  'jews',
  'muslims',
  'christians',
  'immigrants',
  'refugees',
  'gays',
  'him',
  'her',
  'them',
  '(?:a |the )?(?:group|bunch|number|lot) of (?:people|humans|persons|children|kids)',
  '(?:his|her|their) (?:skull|head|face|spine|neck|throat|jaw|legs|arms|ribs|kneecaps?|eyes?)',
);

export const HUMAN_DE = alt(
  'jemanden',
  'jemandem',
  'jemand',
  'einen menschen',
  'menschen',
  'leute',
  'personen',
  'eine person',
  'einen mann',
  'eine frau',
  'frauen',
  'ein kind',
  'kinder',
  'kindern',
  '(?:meine|meinen|meinem|seine|seinen|ihre|ihren) (?:frau|mann|freundin|freund|nachbarn?|nachbarin|eltern|mutter|vater|bruder|schwester|sohn|tochter|chef|chefin|lehrer|lehrerin|kollegen?|kollegin|familie|ex|baby|oma|opa|grosseltern|mitschuler)',
  'einen polizisten',
  'polizisten',
  'den (?:prasidenten|kanzler|burgermeister|richter)',
  'die kanzlerin',
  'einen politiker',
  'politiker',
  'ihn',
  'sie',
);

export const HUMAN_FR = alt(
  "quelqu'un",
  'une personne',
  'des personnes',
  'des gens',
  'les gens',
  'un humain',
  'des humains',
  'un etre humain',
  'un homme',
  'une femme',
  'des femmes',
  'un enfant',
  'des enfants',
  '(?:ma|mon|mes|sa|son|ses) (?:femme|mari|copine|copain|petite amie|petit ami|voisine?|voisins|parents|mere|pere|frere|soeur|fils|fille|patron|patronne|prof|professeur|collegue|famille|ex|bebe|grand-mere|grand-pere)',
  'un (?:policier|flic|politicien|homme politique|bebe)',
  'des (?:policiers|flics|politiciens)',
  'le (?:president|premier ministre|maire|juge)',
);

export const HUMAN = alt(HUMAN_EN, HUMAN_DE, HUMAN_FR);

/** Places and vehicles that bombing, arson or a shooting can target. */
export const PLACE = alt(
  'schools?',
  'hospitals?',
  'church(?:es)?',
  'mosques?',
  'synagogues?',
  'temples?',
  'houses?',
  'home',
  'buildings?',
  'office',
  'airports?',
  'station',
  'trains?',
  'planes?',
  'airplanes?',
  'aircraft',
  'bus(?:es)?',
  'cars?',
  'vehicles?',
  'stadiums?',
  'concerts?',
  'malls?',
  'shopping (?:mall|center|centre)',
  'market',
  'embassy',
  '(?:army|military|air force|naval) base',
  'police station',
  'courthouse',
  'parliament',
  'city hall',
  'city',
  'village',
  'town',
  'crowd',
  'festival',
  'parade',
  'nightclub',
  'club',
  'restaurant',
  'government building',
  'power (?:plant|station)',
  'nuclear plant',
  'pipeline',
  'bridge',
  'subway',
  'metro',
  'dam',
  'refinery',
  'white house',
  'capitol',
  'pentagon',
  'campus',
  'classroom',
  'daycare',
  'kindergarten',
  // German
  'schule',
  'krankenhaus',
  'kirche',
  'moschee',
  'synagoge',
  'haus',
  'gebaude',
  'buro',
  'flughafen',
  'bahnhof',
  'zug',
  'flugzeug',
  'auto',
  'stadion',
  'konzert',
  'einkaufszentrum',
  'botschaft',
  'kaserne',
  'polizeiwache',
  'stadt',
  'dorf',
  'menschenmenge',
  // French
  'ecole',
  'hopital',
  'eglise',
  'mosquee',
  'maison',
  'immeuble',
  'batiment',
  'bureau',
  'aeroport',
  'gare',
  'avion',
  'voiture',
  'stade',
  'centre commercial',
  'ambassade',
  'caserne',
  'commissariat',
  'ville',
  'foule',
);

/** Explosives, chemical and biological weapons, and drugs whose synthesis is asked for. */
export const SEVERE_OBJECT = alt(
  '(?:pipe |nail |car |letter |dirty |homemade |home-made |improvised |fertili[sz]er |pressure cooker |suicide )?(?:bombs?|explosives?|explosive devices?)',
  'ieds?',
  'grenades?',
  'molotov(?: cocktails?)?',
  'napalm',
  'thermite',
  'c-?4',
  'semtex',
  'tnt',
  'detonators?',
  'nerve (?:agents?|gas)',
  'sarin',
  'vx',
  'ricin',
  'anthrax',
  'mustard gas',
  'chlorine gas',
  'chemical weapons?',
  'biological weapons?',
  'bio-?weapons?',
  'nuclear (?:bombs?|weapons?)',
  'ghost guns?',
  'untraceable (?:guns?|firearms?|weapons?)',
  'silencers?',
  'suppressors?',
  'meth',
  'methamphetamine',
  'crystal meth',
  'fentanyl',
  'heroin',
  'crack cocaine',
  'cocaine',
  'lsd',
  'mdma',
  'ghb',
  // German
  '(?:rohr)?bomben?(?! (?:de bain|de peinture|aerosol|glacee))',
  'sprengstoff',
  'sprengsatz',
  'sprengsatze',
  'molotow-?cocktails?',
  'nervengas',
  'rizin',
  'chemische waffen?',
  'biowaffen?',
  'schalldampfer',
  'methamphetamin',
  'kokain',
  // French
  'bombes?(?! (?:de bain|de peinture|aerosol|glacee))',
  'engins? explosifs?',
  'explosifs?',
  'cocktails? molotov',
  'gaz sarin',
  'ricine',
  'armes? chimiques?',
  'armes? biologiques?',
  'silencieux',
  'methamphetamine',
  'heroine',
);

/** Firearms and weapons in general: only their manufacture is a harmful request. */
export const WEAPON = alt(
  '(?:(?:homemade|home-made|diy|untraceable|3d[- ]printed|functional|working|real|automatic|fully automatic|illegal|unregistered) )?(?:guns?|firearms?|rifles?|pistols?|weapons?|assault rifles?|machine guns?)',
  'waffen?',
  'schusswaffen?',
  'pistolen?',
  'gewehre?',
  'armes?(?: a feu)?',
  'pistolets?',
  'fusils?',
);

/** A clause: the sentence around a hit, bounded so one hit never costs more than a fixed window. */
const CLAUSE_REACH = 240;
/** `[.!?;\n]`, by character code. */
const isClauseEnd = (c: number): boolean => c === 0x2e || c === 0x21 || c === 0x3f || c === 0x3b || c === 0x0a;

export function clauseAround(text: string, start: number, end: number): string {
  let from = start;
  const floor = Math.max(0, start - CLAUSE_REACH);
  while (from > floor && !isClauseEnd(text.charCodeAt(from - 1))) from -= 1;
  let to = end;
  const ceiling = Math.min(text.length, end + CLAUSE_REACH);
  while (to < ceiling && !isClauseEnd(text.charCodeAt(to))) to += 1;
  return text.slice(from, to);
}

/** Contexts that make a harmful-looking phrase benign; each one found lowers the score by 1. */
export const CONTRAST = {
  /** A story, film or show the user is writing or asking about. */
  fiction: new RegExp(
    `\\b(?:(?:in|for|fur|pour|dans|bei) (?:a |an |the |my |our |this |that |his |her |their |einem |einer |meinem |meiner |dem |der |un |une |mon |ma |le |la |mes )?(?:[^ .!?;]+ ){0,3}(?:novel|book|story|stories|short story|fiction|fanfic|fan fiction|film|movie|screenplay|script|play|musical|tv show|show|series|episode|comic|manga|anime|roman|buch|geschichte|drehbuch|theaterstuck|serie|livre|histoire|nouvelle|scenario|piece)|(?:my|a|the|his|her) (?:character|characters|protagonist|villain|antagonist|hero|heroine)|characters?'s?|fictional|fictitious|i'm writing|i am writing|crime novel|mein roman|mon roman)\\b`,
    'u',
  ),
  /** Video games, board games and sport. */
  game: new RegExp(
    "\\b(?:(?:in|im|dans) (?:a |the |my |this )?(?:video ?)?(?:game|games|spiel|videospiel|jeu|jeu video)|video ?games?|call of duty|counter[- ]?strike|cs ?go|minecraft|gta(?: \\d| v| iv)?|grand theft auto|fortnite|battlefield(?: \\d)?|the witcher(?: \\d)?|witcher|skyrim|elden ring|dark souls|halo|overwatch|valorant|apex legends|pubg|league of legends|dota|world of warcraft|wow|roblox|among us|red dead|assassin's creed|hitman|the sims|terraria|dayz|chess|checkers|draughts|poker|monopoly|scrabble|fifa|madden|mortal kombat|street fighter|tekken|smash bros|zelda|pokemon|mario|d&d|dnd|dungeons (?:and|&) dragons|tabletop|rpg|npcs?|mobs?|zombies?|judo|karate|boxing|kickboxing|mma|ufc|wrestling|arm wrestling|jiu[- ]?jitsu|bjj|taekwondo|krav maga|fencing|sparring|paintball|airsoft|laser tag|nerf|shooting range|rugby|football|soccer|hockey|basketball|tennis|baseball|dodgeball|an argument|a debate|the debate|an election|schach|echecs)\\b",
    'u',
  ),
  /** Prevention, safety, history, law, definitions: talking about harm, not asking to do it. */
  protective: new RegExp(
    "\\b(?:prevent|prevention|preventing|protect|protecting|protection|safeguard(?:ing)?|warning signs?|signs of|red flags|report(?:ing)?|survivors?|hotline|crisis line|helpline|therapy|therapist|counsell?ing|what to do if|history of|historical|why did|why do people|statistics|legal definition|definition of|what is the penalty|penalty for|punishment for|is it illegal|illegal to|laws against|age of consent|sex education|sex ed|awareness|recogni[sz]e|vorbeugen|verhindern|schutzen|warnzeichen|anzeichen|melden|praevention|pravention|prevenir|proteger|signes|signaler|sensibilisation)\\b",
    'u',
  ),
  /**
   * Computing: processes, containers and servers get killed and terminated every day ("kill all
   * child processes"). Only words without an everyday sense: "process", "commit", "job" and
   * "execute" are also how people ask for a crime ("the process for terminating people").
   */
  technical: new RegExp(
    "\\b(?:processes|subprocess(?:es)?|child process(?:es)?|zombie process(?:es)?|background process|thread|threads|pid|pids|daemon|daemons|container|containers|kubernetes pod|pods|virtual machine|vm|server|servers|sql query|terminal|shell|bash|zsh|powershell|shell script|scripts|sigkill|sigterm|kernel|linux|unix|macos|docker|kubernetes|kubectl|python|java|npm|git|cron|systemd|tmux|ssh|socket|cpu|task manager|prozesse|processus)\\b",
    'u',
  ),
  /** A word being discussed rather than used ("what does the slur X mean", "is X offensive"). */
  mention: new RegExp(
    "\\b(?:the (?:word|term|slur|expression)|n-word|what does .{0,30} mean|is .{0,30} (?:a slur|offensive|racist)|origin of|etymology|das wort|der begriff|le mot|le terme)\\b",
    'u',
  ),
} as const;
export type ContrastKind = keyof typeof CONTRAST;

/** Cues that a request is meant for real, outweighing one contrast context. */
const AGGRAVATOR =
  /\b(?:without (?:getting caught|being caught|anyone (?:knowing|noticing|finding out)|leaving (?:a |any )?(?:trace|evidence))|get away with it|untraceable|in real life|irl|for real|a real person|so (?:that )?(?:no one|nobody) (?:knows|finds out|notices)|ohne erwischt zu werden|in echt|im echten leben|sans (?:me|se) faire (?:prendre|attraper)|dans la vraie vie|en vrai)\b/u;

export interface HarmRule {
  id: string;
  /** Folded-view sources, joined as alternatives and compiled with `\b` on both sides. */
  patterns: readonly string[];
  /** Contrast contexts that apply to this rule. */
  contrast: readonly ContrastKind[];
  /** The score of a bare hit; default 1. */
  weight?: number;
}

/** Bounds on work per rule and request: enough to decide, however long the text. */
const MAX_HITS_EVALUATED = 256;
const MAX_FINDINGS = 8;

interface AnchoredPattern {
  /** The pattern after its request frame and free gap, compiled sticky. */
  tail: RegExp;
  /** Free words allowed between the frame and the tail (the pattern's `freeGap(n)`); -1: none, the tail follows the frame directly. */
  gap: number;
  /** Its id in `TAIL_STARTS`, or undefined when a tail can start with anything (then it is tried everywhere). */
  id: number | undefined;
}

interface CompiledRule {
  id: string;
  /** One regex per pattern: V8 does not factor a shared prefix out of an alternation, so one big one is slower. */
  /** Ids in `FREE_PATTERNS`. */
  patterns: readonly number[];
  /**
   * Patterns that start with the request frame: tried only where the frame matched (found once
   * per text), and after the free words that follow it (found once per frame, negators
   * checked once), not by every pattern at every word of the text. Scanning a 4 KB text with
   * every pattern's own copy of the frame and gap took most of the engine's time.
   */
  anchored: readonly AnchoredPattern[];
  contrast: readonly ContrastKind[];
  weight: number;
}

/**
 * The trigger-word prefilter. Every free-standing pattern (and the request frame) is compiled
 * as `\b(?:...)`, and regex-prefixes.ts derives from its source the literal prefixes one of
 * which starts each of its matches ("bring ", "ich werde ", "all jews"...). One walk of a trie
 * at each word boundary of a text lists, per pattern, the only positions where it can match;
 * the pattern then runs there (sticky) instead of scanning the whole text, and a position it
 * skips is one where it had no match (WordStartPatterns). Each pattern used to scan every text
 * in full, about half of the harm detectors' time.
 */
const FREE_PATTERNS = new WordStartPatterns();
const freePattern = (source: string): number => FREE_PATTERNS.add(source, 'u');
/** Likewise for the tails of anchored patterns, at the positions after a request frame. */
const TAIL_STARTS = new PrefixTrie();
let tailPatterns = 0;

// Ends at a word's end, so "good way" backtracks to "good ways" as it would inside a whole pattern.
const REQUEST_PATTERN = freePattern(`\\b(?:${REQUEST})(?![a-z0-9'-])`);
const NEGATOR_AT = new RegExp(`(?:${NEGATORS})\\b`, 'uy');
const FREE_WORD_AT = /[^ .!?;]+ /uy;
const MAX_GAP = 6;

interface Frame {
  start: number;
  /** Where a tail may start after 0, 1, 2... free words; stops before a negator. */
  tails: number[];
  /** Per entry of `tails`, the ids of the tails that can start there (`TAIL_STARTS`), found on first use. */
  startable: (number[] | undefined)[];
}
/** Keyed by the text and the number of tails (`startable` lists the tails known when it was filled). */
let frameCache: { text: string; tails: number; frames: Frame[] } | undefined;

/** The request frames in `text` and the tail positions after each, computed once for all rules of all detectors. */
function requestFrames(text: string): Frame[] {
  if (frameCache?.text !== text || frameCache.tails !== tailPatterns) {
    const frames: Frame[] = [];
    for (const m of FREE_PATTERNS.matches(REQUEST_PATTERN, text)) {
      const end = m.end;
      const tails = [end];
      if (text[end] === ' ') {
        let at = end + 1;
        tails.push(at);
        for (let n = 0; n < MAX_GAP; n++) {
          NEGATOR_AT.lastIndex = at;
          if (NEGATOR_AT.test(text)) break;
          FREE_WORD_AT.lastIndex = at;
          if (!FREE_WORD_AT.test(text)) break;
          at = FREE_WORD_AT.lastIndex;
          tails.push(at);
        }
      }
      frames.push({ start: m.start, tails, startable: [] });
      if (frames.length >= MAX_HITS_EVALUATED) break;
    }
    frameCache = { text, tails: tailPatterns, frames };
  }
  return frameCache.frames;
}

/** Whether anchored tail `id` can start at `frame.tails[k]`. */
function tailCanStart(frame: Frame, k: number, id: number, text: string): boolean {
  let ids = frame.startable[k];
  if (!ids) {
    const found: number[] = [];
    TAIL_STARTS.walk(text, frame.tails[k] as number, (t) => found.push(t));
    frame.startable[k] = ids = found;
  }
  return ids.includes(id);
}

/** `REQUEST`, a space and `freeGap(n)` at the start of a pattern: split off so the gap is walked once per frame. */
function splitAnchor(pattern: string): { tail: string; gap: number } | undefined {
  if (!pattern.startsWith(REQUEST)) return undefined;
  const rest = pattern.slice(REQUEST.length);
  for (let n = 0; n <= MAX_GAP; n++) {
    const prefix = ` ${freeGap(n)}`;
    if (rest.startsWith(prefix)) return { tail: rest.slice(prefix.length), gap: n };
  }
  return { tail: rest, gap: -1 };
}

/**
 * A rule's anchored patterns, one sticky alternation per gap length: at a fixed position a
 * failing alternative costs a character or two, while each separate regex execution has a
 * fixed cost that, times patterns, frames and positions, dominated the engine.
 */
function anchoredPatterns(patterns: readonly string[]): AnchoredPattern[] {
  const byGap = new Map<number, string[]>();
  for (const p of patterns) {
    const split = splitAnchor(p);
    if (split) byGap.set(split.gap, [...(byGap.get(split.gap) ?? []), split.tail]);
  }
  return [...byGap].map(([gap, tails]) => {
    const source = `(?:${tails.map((t) => `(?:${t})`).join('|')})(?![a-z0-9-])`;
    const prefixes = literalPrefixes(source);
    const id = prefixes ? tailPatterns++ : undefined;
    if (prefixes && id !== undefined) TAIL_STARTS.add(prefixes, id);
    return { tail: new RegExp(source, 'uy'), gap, id };
  });
}

export function compileRules(rules: readonly HarmRule[]): CompiledRule[] {
  return rules.map((rule) => ({
    id: rule.id,
    patterns: rule.patterns.filter((p) => !p.startsWith(REQUEST)).map((p) => freePattern(`\\b(?:${p})(?![a-z0-9-])`)),
    anchored: anchoredPatterns(rule.patterns),
    contrast: rule.contrast,
    weight: rule.weight ?? 1,
  }));
}

/** Every hit of a rule: free-standing patterns anywhere, anchored ones after a request frame. */
function* hitsOf(rule: CompiledRule, text: string): Generator<{ start: number; end: number }> {
  for (const pattern of rule.patterns) yield* FREE_PATTERNS.matches(pattern, text);
  if (rule.anchored.length === 0) return;
  for (const frame of requestFrames(text)) {
    for (const { tail, gap, id } of rule.anchored) {
      // gap -1: right after the frame (tails[0]); gap n: after the space and 0..n free words (tails[1..n+1]).
      const last = Math.min(frame.tails.length, gap < 0 ? 1 : gap + 2);
      for (let k = gap < 0 ? 0 : 1; k < last; k++) {
        // A tail that cannot start here would not match here.
        if (id !== undefined && !tailCanStart(frame, k, id, text)) continue;
        const at = frame.tails[k] as number;
        tail.lastIndex = at;
        if (tail.test(text)) {
          yield { start: frame.start, end: tail.lastIndex };
          break;
        }
      }
    }
  }
}

/** Hits of compiled rules whose score, after contrast and aggravators in their clause, is at least 1. */
export function scoreRules(compiled: readonly CompiledRule[], text: string): DetectorMatch[] {
  const found: DetectorMatch[] = [];
  for (const rule of compiled) {
    let evaluated = 0;
    let kept = 0;
    for (const { start, end } of hitsOf(rule, text)) {
      if (evaluated >= MAX_HITS_EVALUATED || kept >= MAX_FINDINGS) break;
      evaluated += 1;
      const clause = clauseAround(text, start, end);
      let score = rule.weight;
      for (const kind of rule.contrast) if (CONTRAST[kind].test(clause)) score -= 1;
      if (score < 1 && AGGRAVATOR.test(clause)) score += 1;
      if (score >= 1) {
        found.push({ rule: rule.id, start, end });
        kept += 1;
      }
    }
  }
  return found;
}

/** A signal detector on the folded view from a rule list. */
export function createHarmDetector(category: Category, rules: readonly HarmRule[]): Detector {
  const compiled = compileRules(rules);
  return {
    category,
    kind: 'signal',
    view: 'folded',
    priority: 10,
    detect: (text) => scoreRules(compiled, text),
  };
}
