import { inject, type InjectionKey } from 'vue';
import type { ApiClient } from '../api/client';

/** Provided once by main.ts, so components never build their own client (and tests can provide a fake). */
export const apiClientKey: InjectionKey<ApiClient> = Symbol('ApiClient');

export function useApiClient(): ApiClient {
  const client = inject(apiClientKey);
  if (client === undefined) throw new Error('No ApiClient provided: call app.provide(apiClientKey, client) first.');
  return client;
}
