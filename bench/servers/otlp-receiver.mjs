// The testkit OTLP/HTTP JSON receiver in its own process, so parsing exported spans does not
// slow the load generator. It counts spans (in total and per service.name) and forgets them;
// `count` over IPC answers `{ spans, byService }`.
import { startOtlpReceiver } from '../../packages/testkit/dist/index.js';

const receiver = await startOtlpReceiver();
let total = 0;
const byService = {};
const drain = () => {
  for (const span of receiver.spans) byService[span.service] = (byService[span.service] ?? 0) + 1;
  total += receiver.spans.length;
  receiver.spans.length = 0;
};
setInterval(drain, 250).unref();
process.on('message', (message) => {
  if (message === 'count') {
    drain();
    process.send?.({ spans: total, byService });
  }
});
process.send?.({ ready: receiver.url });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void receiver.close().finally(() => process.exit(0)));
