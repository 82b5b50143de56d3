import { randomUUID } from 'node:crypto';
import { jsonBody, parseWith } from '@parley/platform';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { requestId } from '../openai-shapes.js';
import { MODERATION_CATEGORIES, mergeOverrides, parseDirectives, parseHeaderOverrides, stripDirectives } from '../overrides.js';
import { conversationDigest } from '../text.js';
import { exchangeOf, injectFault, pause, sendJson, type CompletionsDeps } from './completions.routes.js';

/** OpenAI's default when a request names no model. */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';
/** The score of a category a `[[sim:moderation=...]]` directive names; every other category scores LOW_SCORE. */
export const FLAGGED_SCORE = 0.9;
export const LOW_SCORE = 0.01;

/** The body of POST /v1/moderations: text input only (OpenAI's image parts are not simulated). */
export const moderationRequestSchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    input: z.union([z.string(), z.array(z.string()).min(1, 'at least one input is required').max(2048)]),
  })
  .loose();

/** One result in OpenAI's shape: every category present, flagged ones at FLAGGED_SCORE. */
export function moderationResult(flagged: ReadonlySet<string>) {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const inputTypes: Record<string, string[]> = {};
  for (const category of MODERATION_CATEGORIES) {
    categories[category] = flagged.has(category);
    scores[category] = flagged.has(category) ? FLAGGED_SCORE : LOW_SCORE;
    inputTypes[category] = ['text'];
  }
  return { flagged: flagged.size > 0, categories, category_scores: scores, category_applied_input_types: inputTypes };
}

/**
 * POST /v1/moderations, deterministic: `[[sim:moderation=violence,self-harm]]` in an input flags
 * those categories of that input's result. Faults as for chat completions (x-llm-sim-fault,
 * [[sim:fault=...]] in any input, fail_next, fault_rates); the answer comes after `latency_ms`
 * (or `ttft_ms` when that is null).
 */
export function moderationsHandler(deps: CompletionsDeps): RequestHandler[] {
  const { simulator, clock } = deps;
  const handler: RequestHandler = async (req: Request, res: Response) => {
    const exchange = exchangeOf(res);
    res.setHeader('x-request-id', requestId());
    const body = parseWith(moderationRequestSchema, req.body);
    const model = body.model ?? DEFAULT_MODERATION_MODEL;
    exchange.model = model;
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const perInput = inputs.map((text) => parseDirectives(text));
    // The request's fault: the header, else the first input carrying a fault directive.
    const fromDirectives = perInput.find((o) => o.fault !== undefined) ?? {};
    const overrides = mergeOverrides(fromDirectives, parseHeaderOverrides(req.headers));
    const digest = conversationDigest(
      model,
      inputs.map((text) => ({ role: 'user', text: stripDirectives(text).trim() })),
    );
    const fault = simulator.chooseFault(overrides.fault, `moderation|${digest}|${overrides.faultSpec ?? ''}`);
    if (fault && (await injectFault(deps, req, res, exchange, fault))) return;

    const settings = simulator.settings;
    if (!(await pause(clock, overrides.latencyMs ?? settings.latency_ms ?? settings.ttft_ms, exchange))) return;
    const answer = {
      id: `modr-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      model,
      results: perInput.map((o) => moderationResult(new Set(o.moderation ?? []))),
    };
    await sendJson(res, exchange, JSON.stringify(answer), fault, deps.stopping);
  };
  return [...jsonBody({ limit: '1mb' }), handler];
}
