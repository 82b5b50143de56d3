export { createApp, type AppDeps } from './app.js';
export { systemClock, type Clock } from './clock.js';
export { configSchema, settingsFromConfig, type SimConfig } from './config.js';
export { FaultSpecError, parseFaultSpec, type Fault, type ResolvedFault } from './faults.js';
export { settingsPatchSchema, settingsSchema, type FaultRates, type SimSettings, type SimSettingsPatch } from './settings.js';
export {
  createSimulator,
  OUTCOMES,
  Simulator,
  type CreateSimulatorOptions,
  type Outcome,
  type SimConfigView,
  type SimStats,
} from './simulator.js';
export { startLlmSim, type LlmSim, type StartLlmSimOptions } from './start.js';
export { countTokens, generateReply, splitTokens } from './text.js';
