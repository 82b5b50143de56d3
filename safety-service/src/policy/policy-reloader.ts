import type { Logger, Metrics } from '@parley/platform';
import { Counter, Gauge } from 'prom-client';
import type { Moderator } from '../domain/engine.js';
import type { Policy } from '../domain/policy.js';
import { policyFromFileText, readPolicyText } from './policy-file.js';

type Registry = Metrics['registry'];

/** A Moderator whose engine can be replaced while serving: each call reads the current one once. */
export interface ModeratorHolder extends Moderator {
  swap(next: Moderator): void;
}

export function createModeratorHolder(initial: Moderator): ModeratorHolder {
  let current = initial;
  return {
    get policyVersion() {
      return current.policyVersion;
    },
    moderate: (request) => current.moderate(request),
    swap(next) {
      current = next;
    },
  };
}

export interface PolicyMetrics {
  reloaded(result: 'success' | 'failure'): void;
  inForce(version: string): void;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** `parley_safety_policy_reloads_total{result}` and `parley_safety_policy_info{version} 1` for the policy in force. */
export function createPolicyMetrics(registry: Registry): PolicyMetrics {
  const reloads = getOrCreate(
    registry,
    'parley_safety_policy_reloads_total',
    () =>
      new Counter<'result'>({
        name: 'parley_safety_policy_reloads_total',
        help: 'Policy file reloads by result (failure: the previous policy stayed in force).',
        labelNames: ['result'],
        registers: [registry],
      }),
  );
  const info = getOrCreate(
    registry,
    'parley_safety_policy_info',
    () =>
      new Gauge<'version'>({
        name: 'parley_safety_policy_info',
        help: 'The policy in force: 1 for its version.',
        labelNames: ['version'],
        registers: [registry],
      }),
  );
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  return {
    reloaded: (result) => reloads.inc({ result }),
    inForce(version) {
      // One series: the old version's disappears rather than lingering at 1.
      info.reset();
      info.set({ version }, 1);
    },
  };
}

export interface PolicyReloaderOptions {
  /** The operator's POLICY_FILE. */
  file: string;
  /** The file's text the holder's policy was built from. */
  appliedText: string;
  presetsDir?: string | undefined;
  holder: ModeratorHolder;
  /** A ready engine for a policy (warmed up); runs off the request path. */
  build(policy: Policy): Moderator;
  logger: Logger;
  metrics: PolicyMetrics;
  /** How often the file is read and compared; 0: only on check(). */
  intervalMs: number;
}

export type ReloadOutcome = 'unchanged' | 'applied' | 'rejected';

export interface PolicyReloader {
  /** Reads the file now and applies it if it changed and is valid. Never throws. */
  check(): Promise<ReloadOutcome>;
  stop(): void;
}

/**
 * Reload without restart by polling: every `intervalMs` the file is read and compared with the
 * text in force. Polling the content survives what breaks fs.watch: editors that save by rename,
 * Kubernetes ConfigMaps swapping a symlink, bind mounts that deliver no inotify events. A file
 * that fails to read, parse or validate is logged once, counted, and the previous policy stays.
 */
export function startPolicyReloader(options: PolicyReloaderOptions): PolicyReloader {
  const log = options.logger.child({ component: 'policy', policy_file: options.file });
  let applied = options.appliedText;
  /** The last text refused (or a read error's message), so a broken file is reported once, not every tick. */
  let refused: string | undefined;
  let inFlight: Promise<ReloadOutcome> | undefined;

  async function attempt(): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readPolicyText(options.file);
    } catch (err) {
      return reject(err, `\0${(err as Error).message}`);
    }
    if (text === applied) {
      refused = undefined;
      return 'unchanged';
    }
    if (text === refused) return 'unchanged';
    try {
      const policy = await policyFromFileText(text, options.file, options.presetsDir);
      const next = options.build(policy);
      const previous = options.holder.policyVersion;
      options.holder.swap(next);
      applied = text;
      refused = undefined;
      options.metrics.reloaded('success');
      options.metrics.inForce(next.policyVersion);
      log.info({ policy_version: next.policyVersion, previous_policy_version: previous }, 'policy reloaded');
      return 'applied';
    } catch (err) {
      return reject(err, text);
    }
  }

  function reject(err: unknown, marker: string): ReloadOutcome {
    if (marker === refused) return 'unchanged';
    refused = marker;
    options.metrics.reloaded('failure');
    log.error({ err, policy_version: options.holder.policyVersion }, 'policy reload rejected; the previous policy stays in force');
    return 'rejected';
  }

  const check = (): Promise<ReloadOutcome> => {
    // One read at a time: a tick during a slow read joins it instead of racing it.
    inFlight ??= attempt().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const timer = options.intervalMs > 0 ? setInterval(() => void check(), options.intervalMs) : undefined;
  timer?.unref();
  return {
    check,
    stop: () => clearInterval(timer),
  };
}
