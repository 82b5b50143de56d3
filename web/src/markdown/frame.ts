/** Runs `callback` before the next paint; returns a function that cancels it. Injectable for tests. */
export type RequestFrame = (callback: () => void) => () => void;

export const animationFrame: RequestFrame = (callback) => {
  if (typeof requestAnimationFrame === 'function') {
    const id = requestAnimationFrame(() => callback());
    return () => cancelAnimationFrame(id);
  }
  const id = setTimeout(callback, 16);
  return () => clearTimeout(id);
};
