// Setting a key read from outside (a YAML file, a Studio record) on a plain object.

/** `target[key] = value`, where `__proto__` is a key like any other, not the object's prototype (assigning it would drop it). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}
