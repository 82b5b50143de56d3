// A zero-latency chat-service stand-in: answers POST /api/v1/chat with a fixed JSON chat reply
// and GET /api/v1/history with an empty history (`{"messages":[]}`), once the request body has
// been read, everything else with 404. Started with fork() by the bench; reports its URL over IPC.
import { createServer } from 'node:http';

const REPLY = JSON.stringify({
  message_id: 'msg_x',
  reply: 'ok',
  finish_reason: 'stop',
  usage: { input_tokens: 10, output_tokens: 5 },
  safety: { action: 'allow' },
});
const REPLY_HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REPLY) };
const HISTORY = '{"messages":[]}';
const HISTORY_HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(HISTORY) };
const NOT_FOUND = '{"error":"not found"}';

const server = createServer((req, res) => {
  const path = req.url?.split('?', 1)[0];
  const isChat = req.method === 'POST' && path === '/api/v1/chat';
  const isHistory = req.method === 'GET' && path === '/api/v1/history';
  req.on('data', () => {});
  req.on('end', () => {
    if (isChat) res.writeHead(200, REPLY_HEADERS).end(REPLY);
    else if (isHistory) res.writeHead(200, HISTORY_HEADERS).end(HISTORY);
    else res.writeHead(404, { 'content-type': 'application/json', 'content-length': NOT_FOUND.length }).end(NOT_FOUND);
  });
});
// Longer than any client's idle keep-alive, so a pooled socket is never closed under a proxy's feet between phases.
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send?.({ ready: `http://127.0.0.1:${server.address().port}` }));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
