import type { Language } from './ports.js';

/** What a user reads instead of a message or reply the safety policy blocked. */
export const NOTICES: Record<'inputBlocked' | 'outputBlocked', Record<Language, string>> = {
  inputBlocked: {
    en: 'Sorry, I can’t help with that request. It was blocked by the safety policy.',
    de: 'Entschuldigung, bei dieser Anfrage kann ich nicht helfen. Sie wurde von der Sicherheitsrichtlinie blockiert.',
    fr: 'Désolé, je ne peux pas donner suite à cette demande. Elle a été bloquée par la politique de sécurité.',
  },
  outputBlocked: {
    en: 'This reply was withheld because it did not pass the safety policy.',
    de: 'Diese Antwort wurde zurückgehalten, weil sie die Sicherheitsrichtlinie nicht erfüllt.',
    fr: 'Cette réponse a été retenue car elle ne respecte pas la politique de sécurité.',
  },
};
