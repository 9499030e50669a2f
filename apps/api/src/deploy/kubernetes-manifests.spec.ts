import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueKeys } from 'bullmq';
import { parseAllDocuments } from 'yaml';
import { queueNames } from '@gateway/queue';
import { schemaProblems, type KubernetesObject } from './kubernetes-schemas';
import { describeWithTool, onPath, output, repoRoot, run } from './ops-tools';

// Loosely typed views of the rendered objects: the schemas above check their shapes.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const render = (dir: string): KubernetesObject[] =>
  parseAllDocuments(output('kubectl', ['kustomize', join(repoRoot, 'deploy', 'k8s', dir)]))
    .map((document) => document.toJS() as KubernetesObject)
    .filter(Boolean);

const find = (objects: KubernetesObject[], kind: string, name: string): Any => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name.startsWith(name));
  if (!found) throw new Error(`${kind} ${name} is not rendered`);
  return found;
};

/** The settings a Deployment's container gets from its ConfigMap (by the generated, hashed name it references). */
function settingsOf(objects: KubernetesObject[], container: Any): Record<string, string> {
  const names = (container.envFrom ?? []).flatMap((source: Any) => (source.configMapRef ? [source.configMapRef.name] : []));
  return Object.assign({}, ...objects.filter((object) => object.kind === 'ConfigMap' && names.includes(object.metadata.name)).map((map: Any) => map.data));
}

describe('the Kubernetes schema check', () => {
  it('refuses what the API server would refuse (so a pass means something)', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    expect(schemaProblems(deployment)).toEqual([]);
    expect(schemaProblems({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } })).toEqual([expect.stringContaining('replicas must be integer')]);
    expect(schemaProblems({ ...deployment, spec: { selector: deployment.spec.selector, template: { spec: {} } } })).toEqual([
      expect.stringContaining('containers'),
    ]);
    expect(schemaProblems({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 's' }, spec: { scaleTargetRef: { name: 'w' } } })).toEqual([
      expect.stringContaining('triggers'),
    ]);
    expect(schemaProblems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([expect.stringContaining('no schema')]);
  });
});

describeWithTool(
  'kubectl',
  'deploy/k8s rendered with kubectl kustomize',
  () => {
    const rendered = { base: render('base'), example: render('overlays/example') };

    it.each(Object.entries(rendered))('%s: every object is valid against the Kubernetes (and KEDA) schemas', (_name, objects) => {
      expect(objects.flatMap(schemaProblems)).toEqual([]);
      expect(objects.map((object) => `${object.kind}/${object.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort()).toEqual([
        'ConfigMap/gateway-config',
        'Deployment/gateway-api',
        'Deployment/gateway-worker',
        'HorizontalPodAutoscaler/gateway-api',
        'PodDisruptionBudget/gateway-api',
        'PodDisruptionBudget/gateway-worker',
        'ScaledObject/gateway-worker',
        'Service/gateway-api',
        'TriggerAuthentication/gateway-redis',
      ]);
    });

    it.each(Object.entries(rendered))('%s: probes, resources and graceful drains', (_name, objects) => {
      const api = find(objects, 'Deployment', 'gateway-api');
      const worker = find(objects, 'Deployment', 'gateway-worker');
      const [apiContainer, workerContainer] = [api.spec.template.spec.containers[0], worker.spec.template.spec.containers[0]];
      expect(apiContainer.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(apiContainer.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
      expect(workerContainer.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
      expect(workerContainer.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'metrics' });
      for (const deployment of [api, worker]) {
        const container = deployment.spec.template.spec.containers[0];
        const settings = settingsOf(objects, container);
        // The drain (SHUTDOWN_TIMEOUT_MS) ends before Kubernetes kills the pod, with room for the preStop pause.
        const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(
          Number(settings['SHUTDOWN_TIMEOUT_MS']) + preStopSeconds * 1000 + 5000,
        );
        expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits.memory).toEqual(expect.any(String));
        // The replica counts belong to the HPA and KEDA: a fixed count would fight them at every apply.
        expect(deployment.spec.replicas).toBeUndefined();
        expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      }
      // Probes reach the pod's address: both apps listen beyond loopback there.
      expect(settingsOf(objects, apiContainer)).toMatchObject({ GATEWAY_HOST: '0.0.0.0', WORKER_METRICS_HOST: '0.0.0.0' });
      expect(apiContainer.ports).toEqual([{ name: 'http', containerPort: Number(settingsOf(objects, apiContainer)['GATEWAY_PORT']) }]);
      expect(workerContainer.ports).toEqual([{ name: 'metrics', containerPort: Number(settingsOf(objects, workerContainer)['WORKER_METRICS_PORT']) }]);
    });

    it.each(Object.entries(rendered))('%s: the Service, the PodDisruptionBudgets and the HPA select what they mean to', (_name, objects) => {
      const podLabels = (name: string) => find(objects, 'Deployment', name).spec.template.metadata.labels;
      const selects = (selector: Record<string, string>, name: string) => Object.entries(selector).every(([key, value]) => podLabels(name)[key] === value);
      expect(selects(find(objects, 'Service', 'gateway-api').spec.selector, 'gateway-api')).toBe(true);
      expect(selects(find(objects, 'PodDisruptionBudget', 'gateway-api').spec.selector.matchLabels, 'gateway-api')).toBe(true);
      expect(selects(find(objects, 'PodDisruptionBudget', 'gateway-worker').spec.selector.matchLabels, 'gateway-worker')).toBe(true);
      expect(selects(find(objects, 'PodDisruptionBudget', 'gateway-worker').spec.selector.matchLabels, 'gateway-api')).toBe(false);
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'gateway-api');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway-api' });
      expect(hpa.spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } },
      ]);
    });

    it.each(Object.entries(rendered))('%s: KEDA scales the workers on the BullMQ keys each lane waits in, authenticated from the Secret', (_name, objects) => {
      const scaled = find(objects, 'ScaledObject', 'gateway-worker');
      const worker = find(objects, 'Deployment', 'gateway-worker');
      expect(scaled.spec.scaleTargetRef).toEqual({ name: worker.metadata.name });
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      // The keys BullMQ itself builds for the configured prefix: `chat`'s wait list (interactive), the prioritized set of
      // each lane's queue (job, batch), and `chat`'s (the work of API instances from before the lane queues).
      const queueKeys = new QueueKeys(settingsOf(objects, worker.spec.template.spec.containers[0])['QUEUE_PREFIX']);
      const [chat, jobs, batches] = [queueNames.chat, queueNames.chatJob, queueNames.chatBatch].map((name) => queueKeys.getKeys(name));
      expect(scaled.spec.triggers.map((trigger: Any) => [trigger.type, trigger.metadata.listName, trigger.authenticationRef.name])).toEqual([
        ['redis', chat!['wait'], 'gateway-redis'],
        ['redis', jobs!['prioritized'], 'gateway-redis'],
        ['redis', batches!['prioritized'], 'gateway-redis'],
        ['redis', chat!['prioritized'], 'gateway-redis'],
      ]);
      const auth = find(objects, 'TriggerAuthentication', 'gateway-redis');
      expect(auth.spec.secretTargetRef).toEqual([
        { parameter: 'address', name: 'gateway-secrets', key: 'redis-address' },
        { parameter: 'password', name: 'gateway-secrets', key: 'redis-password' },
      ]);
    });

    it.each(Object.entries(rendered))('%s: secrets are referenced, never rendered', (_name, objects) => {
      expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
      const text = JSON.stringify(objects);
      expect(text).not.toMatch(/redis:\/\/[^"]*:[^"@]+@/);
      for (const name of ['gateway-api', 'gateway-worker']) {
        const env = find(objects, 'Deployment', name).spec.template.spec.containers[0].env;
        expect(env).toContainEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'gateway-secrets', key: 'redis-url' } } });
      }
    });

    it('the example overlay puts everything in its namespace, on its image', () => {
      for (const object of rendered.example) expect(object.metadata.namespace).toBe('llm-gateway');
      for (const name of ['gateway-api', 'gateway-worker']) {
        expect(find(rendered.example, 'Deployment', name).spec.template.spec.containers[0].image).toBe('registry.example.com/llm-gateway:0.1.0');
      }
      expect(find(rendered.example, 'ScaledObject', 'gateway-worker').spec.maxReplicaCount).toBe(40);
    });
  },
  { installedInCi: false },
);

describe('docker-compose.yml beside the manifests', () => {
  it('mounts the alert rules its Prometheus config loads', () => {
    expect(readFileSync(join(repoRoot, 'ops', 'prometheus', 'prometheus.yml'), 'utf8')).toMatch(/rule_files:\n\s+- alerts\.yml/);
    expect(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')).toContain('./ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });

  (onPath('docker-compose') ? it : it.skip)('is valid (docker-compose config)', () => {
    const check = run('env', ['REDIS_PASSWORD=x', 'GATEWAY_ADMIN_TOKEN=0123456789abcdef', 'docker-compose', '-f', 'docker-compose.yml', 'config', '-q']);
    expect(check).toEqual({ status: 0, output: '' });
  });
});
