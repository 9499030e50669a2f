import type { Lane } from '@gateway/contracts';
import type { CapacityLease, CapacityReason, DeploymentCapacity, ProviderPacer } from '@gateway/limits';
import type { Logger, Metrics } from '@gateway/observability';
import type { DeploymentTable } from '@gateway/providers';
import { deploymentOf, type BusyTracker, type FailoverHooks, type PlannedAttempt, type SmoothWeights } from '@gateway/resilience';

/** What the capacity of a job's calls needs: the shared bookkeeping, the deployments, this worker's view of them. */
export interface CapacityDeps {
  capacity: DeploymentCapacity;
  table: DeploymentTable;
  busy: BusyTracker;
  smooth?: SmoothWeights;
  metrics?: Pick<Metrics, 'deploymentRequests' | 'deploymentTokens'>;
}

export type GateDecision = { go: true } | { go: false; waitMs: number; reason: CapacityReason | 'rate'; deployment: string };

/**
 * One job run's places at its deployments: a place is taken before each call to a deployment of the file (implicit
 * ones are paced by PROVIDER_RPM as without a file), given back when the call failed (its tokens nought) and when
 * the job ends (its tokens the real count). The busy tracker follows every call, for `least_busy`.
 */
export function createCapacitySession(deps: CapacityDeps, pacer: Pick<ProviderPacer, 'acquire'>, lane: Lane, estimate: number, log: Logger) {
  let open: { attempt: PlannedAttempt; lease?: CapacityLease; startedAt: number } | undefined;
  const gated = new WeakSet<PlannedAttempt>();

  /** Ends the open call: its place back, its tokens `tokens` (written with this worker's next take, or soon). */
  const end = (tokens: number, outcome: 'success' | 'failure' | 'skipped') => {
    const call = open;
    open = undefined;
    if (!call) return;
    const deployment = deploymentOf(call.attempt);
    deps.busy.end(deployment, performance.now() - call.startedAt);
    if (!call.lease) return;
    deps.metrics?.deploymentRequests.inc({ deployment, outcome });
    if (outcome === 'success' && tokens > 0) deps.metrics?.deploymentTokens.inc({ deployment }, tokens);
    deps.capacity.settle(call.lease, tokens);
  };

  /** Takes a place at the attempt's deployment (go), or says how long until it may have one. */
  const gate = async (attempt: PlannedAttempt): Promise<GateDecision> => {
    const deployment = attempt.deployment === undefined ? undefined : deps.table.byId(attempt.deployment);
    if (!deployment || deployment.implicit) {
      const paced = await pacer.acquire(attempt.provider, lane);
      if (!paced.go) return { ...paced, deployment: attempt.provider };
      open = { attempt, startedAt: performance.now() };
    } else {
      const taken = await deps.capacity.take(deployment, lane, estimate);
      if (!taken.go) return { go: false, waitMs: taken.waitMs, reason: taken.reason, deployment: deployment.id };
      open = { attempt, lease: taken.lease, startedAt: performance.now() };
    }
    gated.add(attempt);
    deps.busy.begin(deploymentOf(attempt));
    return { go: true };
  };

  return {
    /**
     * The plan from its first attempt that may be called now (its place taken), or how long until the soonest
     * may: the job then waits in the queue.
     */
    async start(attempts: readonly PlannedAttempt[]): Promise<{ plan: PlannedAttempt[] } | Extract<GateDecision, { go: false }>> {
      let soonest: Extract<GateDecision, { go: false }> | undefined;
      for (let index = 0; index < attempts.length; index += 1) {
        const decision = await gate(attempts[index]!);
        if (decision.go) return { plan: attempts.slice(index) };
        if (!soonest || decision.waitMs < soonest.waitMs) soonest = decision;
      }
      return soonest ?? { plan: [...attempts] };
    },

    /**
     * The job's failover hooks with capacity: an attempt after the first takes its place before its circuit is
     * asked (a full or paused deployment is skipped like an open circuit); a failed call or a skipped one gives its
     * place back at once.
     */
    hooks(base: FailoverHooks): FailoverHooks {
      return {
        ...base,
        shouldTry: async (attempt) => {
          if (!gated.has(attempt)) {
            const decision = await gate(attempt);
            if (!decision.go) {
              log.debug({ deployment: decision.deployment, reason: decision.reason }, 'deployment full: skipped');
              return false;
            }
          }
          const allowed = base.shouldTry ? await base.shouldTry(attempt) : true;
          if (!allowed) end(0, 'skipped');
          return allowed;
        },
        onFailure: async (attempt, error) => {
          await base.onFailure?.(attempt, error);
          end(0, 'failure');
        },
      };
    },

    /** The job ended: the call that answered (if still open) counts `tokens`, its real total. */
    finish: (tokens: number) => end(tokens, tokens > 0 ? 'success' : 'failure'),
  };
}

export type CapacitySession = ReturnType<typeof createCapacitySession>;
