/**
 * The part of the Reflect metadata API that tsyringe (a dependency of @peculiar/x509) requires before it loads:
 * define, get and get-own metadata per (target, property). The usual polyfill package is not installed here; this
 * covers exactly the calls tsyringe makes and is installed only when no polyfill is present.
 */
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function table(target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty && create) store.set(target, (byProperty = new Map()));
  let entries = byProperty?.get(property);
  if (!entries && create) byProperty!.set(property, (entries = new Map()));
  return entries;
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
    table(target, property, true)!.set(key, value);
  },
  getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
    return table(target, property, false)?.get(key);
  },
  getMetadata(key: unknown, target: object, property?: Key): unknown {
    // Walks the prototype chain like the full API does.
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const entries = table(t, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  for (const [name, fn] of Object.entries(api)) reflect[name] = fn;
}
