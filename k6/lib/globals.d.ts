// k6 provides `console` in every context, but @types/k6 does not declare it, and k6/tsconfig.json
// leaves out the DOM and Node libraries on purpose (k6 has neither).
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
