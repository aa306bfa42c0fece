/**
 * The values an Ansible inventory can hold, as ansible-inventory prints them. Dicts are plain
 * null-prototype objects (a variable may be called `__proto__`); two Python types need a marker
 * because ansible-inventory prints them as objects: vault-encrypted strings and `!unsafe` strings.
 */
export type InventoryValue =
  | null
  | boolean
  | number
  | string
  | InventoryValue[]
  | VaultValue
  | UnsafeValue
  | { [key: string]: InventoryValue };

export type VarsDict = Record<string, InventoryValue>;

/** A `!vault` value: ansible-inventory (without a vault password) prints the ciphertext as `{"__ansible_vault": …}`. */
export class VaultValue {
  constructor(readonly ciphertext: string) {}
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.ciphertext };
  }
}

/** A string tagged `!unsafe` in an inventory file: printed as `{"__ansible_unsafe": …}`. */
export class UnsafeValue {
  constructor(readonly text: string) {}
  toJSON(): { __ansible_unsafe: string } {
    return { __ansible_unsafe: this.text };
  }
}

export function newDict(): VarsDict {
  return Object.create(null) as VarsDict;
}

export function isDict(value: unknown): value is VarsDict {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof VaultValue) && !(value instanceof UnsafeValue);
}

/** Python's `repr`-like type name, for messages that mirror Ansible's. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "string" || value instanceof UnsafeValue || value instanceof VaultValue) return "str";
  if (Array.isArray(value)) return "list";
  return "dict";
}

/** How Python's json module writes a dict key that is not a string. */
export function jsonKey(key: unknown): string {
  if (typeof key === "string") return key;
  if (key === null || key === undefined) return "null";
  if (typeof key === "boolean") return key ? "true" : "false";
  return String(key);
}
