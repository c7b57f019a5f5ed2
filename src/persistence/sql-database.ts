/** @module The part of a SQL storage the object's stores use (workerd's `SqlStorage`, sql.js in Node tests). */

/** A query's rows (workerd's `SqlStorageCursor` is one). */
export interface SqlRows<T> extends Iterable<T> {
  toArray(): T[];
  one(): T;
}

/** The part of the platform's SQL storage the store uses: workerd's `SqlStorage` in production, sql.js in Node. */
export interface SqlDatabase {
  exec<T extends Record<string, string | number | ArrayBuffer | null>>(
    query: string,
    // biome-ignore lint/suspicious/noExplicitAny: bindings are any SQL value, as in workerd's own signature
    ...bindings: any[]
  ): SqlRows<T>;
}
