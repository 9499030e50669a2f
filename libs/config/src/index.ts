export { loadConfig, loadConfigOrExit, ConfigError } from './config';
export type { Config, ConfigCheck } from './config';
export { envSchema } from './env-schema';
export type { Env } from './env-schema';
export { secretValues, cursorAdapterSecretValues } from './secrets';
export { loadCursorAdapterConfig, cursorAdapterEnvSchema } from './cursor-adapter-config';
export type { CursorAdapterConfig } from './cursor-adapter-config';
