/**
 * A stand-in for a part a suite starts in its beforeAll (a Redis, a fake upstream, the gateway's processes): the
 * suite names it once at the top, as a constant, and its tests read it as the part itself. Every read goes to the
 * started part; a read before it started throws, naming it.
 */
export function startedLater<T extends object>(name: string, current: () => T | undefined): T {
  const started = (): T => {
    const part = current();
    if (part === undefined) throw new Error(`the suite's ${name} is read before its beforeAll started it`);
    return part;
  };
  return new Proxy({} as T, {
    get(_target, property) {
      const part = started();
      const value: unknown = Reflect.get(part, property, part);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(part) : value;
    },
    set(_target, property, value) {
      return Reflect.set(started(), property, value);
    },
    has(_target, property) {
      return Reflect.has(started(), property);
    },
    // Spreading it (`{ ...env }`) copies the started part's own properties.
    ownKeys() {
      return Reflect.ownKeys(started());
    },
    getOwnPropertyDescriptor(_target, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(started(), property);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
