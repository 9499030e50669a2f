import { invalidRequest } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { deploymentTable, resolveRoute, type Deployment, type DeploymentTable, type Route } from '@gateway/providers';
import type { PlannedAttempt } from './failover';
import { failoverChain, planAttempts } from './plan';
import { createBusyTracker, orderBy, type ChoiceContext, type Choosable, type Routing } from './deployment-choice';

/** What planning among deployments reads: the providers' settings and GATEWAY_CONFIG_FILE (absent in hand-built tests). */
export type DeploymentPlanConfig = Pick<Config, 'llm' | 'providers'> & Partial<Pick<Config, 'file'>>;

/** An attempt at one deployment: an implicit one is named by its provider alone (as without a file). */
const attemptAt = (deployment: Deployment, model: string): PlannedAttempt =>
  deployment.implicit ? { provider: deployment.provider, model } : { provider: deployment.provider, model, deployment: deployment.id };

/** How this worker chooses, and whether a plan asked it to (an order among more than one: it may differ next time). */
interface PlanChoice {
  readonly context: ChoiceContext;
  chose: boolean;
}

const order = <T extends Choosable>(routing: Routing, items: readonly T[], choice: PlanChoice): T[] => {
  if (items.length > 1) choice.chose = true;
  return orderBy(routing, items, choice.context);
};

/** Each attempt of a provider chain becomes one attempt per deployment of that provider serving its model, in the order chosen. */
function expandDeployments(attempts: readonly PlannedAttempt[], table: DeploymentTable, config: DeploymentPlanConfig, choice: PlanChoice) {
  const routing = config.file?.routing ?? 'weighted';
  return attempts.flatMap((attempt) =>
    order(routing, table.serving(attempt.provider, attempt.model), choice).map((deployment) => attemptAt(deployment, attempt.model)),
  );
}

/** The attempts of a model name of the file's `models`: its targets by the routing chosen, then each fallback's (a name, a group or a model). */
function groupAttempts(config: DeploymentPlanConfig, table: DeploymentTable, name: string, choice: PlanChoice, seen: Set<string>): PlannedAttempt[] {
  const group = config.file?.models[name];
  if (!group) return modelAttempts(config, table, name, choice, seen);
  seen.add(name);
  const routing = config.file?.routing ?? 'weighted';
  const targets = order(
    routing,
    group.targets.map((target, index) => ({ ...target, id: target.deployment ?? `${target.provider ?? ''}#${index}` })),
    choice,
  );
  const attempts = targets.flatMap((target) => {
    const named = target.deployment === undefined ? undefined : table.byId(target.deployment);
    if (named) return [attemptAt(named, target.model)];
    const serving = target.provider === undefined ? [] : table.serving(target.provider, target.model);
    return order(routing, serving, choice).map((deployment) => attemptAt(deployment, target.model));
  });
  const fallbacks = group.fallbacks.filter((fallback) => !seen.has(fallback)).flatMap((fallback) => groupAttempts(config, table, fallback, choice, seen));
  return [...attempts, ...fallbacks];
}

/** A model name outside the groups: its route and the failover chain, each provider expanded into its deployments. */
function modelAttempts(config: DeploymentPlanConfig, table: DeploymentTable, name: string, choice: PlanChoice, seen: Set<string>): PlannedAttempt[] {
  seen.add(name);
  const route = resolveRoute(name, { primary: config.llm.provider, defaultModel: config.llm.defaultModel });
  return expandDeployments(planAttempts(route, failoverChain(config)), table, config, choice);
}

/** Each (deployment, model) once, at its first place. */
function firstOfEach(attempts: readonly PlannedAttempt[]): PlannedAttempt[] {
  const seen = new Set<string>();
  return attempts.filter((attempt) => {
    const key = `${attempt.deployment ?? attempt.provider}\n${attempt.model}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Plans of a frozen configuration by model name, those in which nothing was chosen: the same for every request. */
const fixedPlans = new WeakMap<object, Map<string, readonly PlannedAttempt[]>>();
/** Model names whose plan is kept, at most (past that, planned each time). */
const FIXED_PLANS = 1000;

/**
 * The attempts of a request when GATEWAY_CONFIG_FILE declares deployments or model groups (undefined otherwise:
 * the plan is the provider chain, as without a file). The file's aliases apply first; a group's targets come in
 * the order chosen (weighted or least busy), then its fallbacks; a provider's deployments in the same way, those
 * whose `models` do not match the model left out. `invalid_request` when no deployment serves the model. A plan
 * that chose no order (one deployment or target at each step) is kept for the model name.
 */
export function planDeployments(config: DeploymentPlanConfig, model: string | undefined, context: ChoiceContext): PlannedAttempt[] | undefined {
  const file = config.file;
  if (!file || (file.deployments.length === 0 && Object.keys(file.models).length === 0 && Object.keys(file.aliases).length === 0)) return undefined;
  const requested = model && model.trim() !== '' ? model.trim() : config.llm.defaultModel;
  const name = file.aliases[requested] ?? requested;
  let fixed = Object.isFrozen(config) ? fixedPlans.get(config) : undefined;
  const kept = fixed?.get(name);
  // Each job its own attempts: hooks keep per-call state by attempt (the breaker's clean calls, the gated places).
  if (kept) return kept.map((attempt) => ({ ...attempt }));
  const choice: PlanChoice = { context, chose: false };
  const attempts = firstOfEach(groupAttempts(config, deploymentTable(config), name, choice, new Set()));
  if (attempts.length === 0) throw invalidRequest(`model: no deployment serves ${name}`);
  if (!choice.chose && Object.isFrozen(config)) {
    if (!fixed) fixedPlans.set(config, (fixed = new Map()));
    if (fixed.size < FIXED_PLANS)
      fixed.set(
        name,
        attempts.map((attempt) => ({ ...attempt })),
      );
  }
  return attempts;
}

/** A choice without a tracker of its own (the API, tests): every deployment as busy as the others. */
const unseen: ChoiceContext = { busy: createBusyTracker() };

/** What a request's model name is planned onto, before the providers' capabilities are checked. */
export interface RequestTargets {
  /** The route of the name asked (the provider chain's, without deployments). */
  route: Route;
  /** The deployments (or providers) to try in order, each with the model it is asked for. */
  attempts: PlannedAttempt[];
  /**
   * The model an embeddings attempt must be asked for (a fallback's default model has its vectors in another space);
   * undefined for a model group of GATEWAY_CONFIG_FILE, whose targets the operator chose as one model.
   */
  embeddingsModel: string | undefined;
}

/**
 * The targets of a request's model name, as the workers plan them and the API checks and prices them: the deployments
 * and model groups of GATEWAY_CONFIG_FILE when it declares any (see planDeployments), else the route's provider chain.
 */
export function planRequest(config: DeploymentPlanConfig, model: string | undefined, choice: ChoiceContext = unseen): RequestTargets {
  const options = { primary: config.llm.provider, defaultModel: config.llm.defaultModel };
  const route = resolveRoute(model, options);
  const attempts = planDeployments(config, model, choice) ?? planAttempts(route, failoverChain(config));
  const requested = model && model.trim() !== '' ? model.trim() : config.llm.defaultModel;
  const name = config.file?.aliases[requested] ?? requested;
  const embeddingsModel = config.file?.models[name] ? undefined : resolveRoute(name, options).upstreamModel;
  return { route, attempts, embeddingsModel };
}
