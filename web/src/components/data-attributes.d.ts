// strictTemplates rejects attributes it does not know; data-* attributes are the panel's DOM
// contract (data-role, data-state, data-error-code, data-countdown, data-testid...), so allow them.
export {};

declare module '@vue/runtime-dom' {
  interface HTMLAttributes {
    [key: `data-${string}`]: string | number | boolean | undefined;
  }
}
