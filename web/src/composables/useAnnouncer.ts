import { inject, provide, type InjectionKey } from 'vue';

/**
 * One polite status region per panel (issue 6: "one polite status region instead of announcing
 * every token"): components below the panel announce through it instead of adding their own.
 */
export type Announce = (text: string) => void;

const announcerKey: InjectionKey<Announce> = Symbol('parley.announcer');

/** Called by the component that owns the status region. */
export function provideAnnouncer(announce: Announce): void {
  provide(announcerKey, announce);
}

/** The panel's announcer, or undefined outside a panel (a component rendered on its own). */
export function useAnnouncer(): Announce | undefined {
  return inject(announcerKey, undefined);
}
