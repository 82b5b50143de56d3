import type { Language } from './ports.js';

/** What a user reads instead of a message or reply the safety policy blocked. */
export const NOTICES: Record<'inputBlocked' | 'outputBlocked' | 'selfHarmSupport', Record<Language, string>> = {
  inputBlocked: {
    en: 'Sorry, I can’t help with that request. It was blocked by the safety policy.',
    de: 'Entschuldigung, bei dieser Anfrage kann ich nicht helfen. Sie wurde von der Sicherheitsrichtlinie blockiert.',
    fr: 'Désolé, je ne peux pas donner suite à cette demande. Elle a été bloquée par la politique de sécurité.',
  },
  /**
   * A message blocked as `harm.self_harm` gets a human answer with where to find help, not a
   * policy notice. Free, confidential lines for the countries of the three languages; findahelpline.com
   * lists the others.
   */
  selfHarmSupport: {
    en: 'It sounds like you may be going through something very hard right now. I can’t help with that here, but you don’t have to face it alone. If you are in danger now, call your local emergency number (112 in Europe, 911 in the US). You can talk to someone any time, free and in confidence: in the US call or text 988; in the UK and Ireland call Samaritans on 116 123; for other countries, findahelpline.com lists local lines.',
    de: 'Es klingt, als ginge es Ihnen gerade sehr schlecht. Dabei kann ich hier nicht helfen, aber Sie müssen das nicht allein durchstehen. Wenn Sie in akuter Gefahr sind, rufen Sie den Notruf 112. Die TelefonSeelsorge ist rund um die Uhr kostenlos und anonym erreichbar: 0800 111 0 111 oder 0800 111 0 222. In Österreich: 142, in der Schweiz: 143. Weitere Länder: findahelpline.com.',
    fr: 'On dirait que vous traversez un moment très difficile. Je ne peux pas vous aider sur ce point ici, mais vous n’êtes pas seul face à cela. En cas de danger immédiat, appelez le 112 (ou le 15). En France, le 3114, numéro national de prévention du suicide, répond 24 h/24 et 7 j/7, gratuitement. En Belgique : 0800 32 123 ; en Suisse : 143. Autres pays : findahelpline.com.',
  },
  outputBlocked: {
    en: 'This reply was withheld because it did not pass the safety policy.',
    de: 'Diese Antwort wurde zurückgehalten, weil sie die Sicherheitsrichtlinie nicht erfüllt.',
    fr: 'Cette réponse a été retenue car elle ne respecte pas la politique de sécurité.',
  },
};
