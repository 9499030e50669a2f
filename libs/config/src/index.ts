export { loadConfig, loadConfigOrExit, ConfigError } from './config';
export type { Config, ConfigCheck } from './config';
export { envSchema } from './config-shape';
export type { Env } from './config-shape';
export { secretValues, cursorAdapterSecretValues } from './secrets';
export { loadCursorAdapterConfig, cursorAdapterEnvSchema } from './cursor-adapter-config';
export type { CursorAdapterConfig } from './cursor-adapter-config';
export { loadGatewayFile, emptyGatewayFile } from './config-file';
export type { GatewayFileConfig, DeploymentConfig, ModelTarget } from './config-file';
