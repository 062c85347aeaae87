import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../workflows/machinery/search-attributes';

const { IndexedValueType } = proto.temporal.api.enums.v1;

const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

const GRPC = { ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12 } as const;

const grpcCode = (err: unknown) => (err as { code?: number }).code;

async function knownSearchAttributes(connection: Connection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(existing.customAttributes ?? {}));
  } catch (err) {
    // The time-skipping test server can add search attributes but not list them.
    if (grpcCode(err) === GRPC.UNIMPLEMENTED) return new Set();
    throw err;
  }
}

/**
 * Attributes earlier versions registered and no case uses any more. A SQL visibility
 * store holds 10 Keyword attributes, so a development server that still has them cannot
 * take the current set (CaseNumber: the number is the workflow id).
 */
export const RETIRED_SEARCH_ATTRIBUTES = ['CaseNumber'] as const;

/** Removes the retired attributes: for the embedded development server only. */
export async function removeRetiredSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const known = await knownSearchAttributes(connection, namespace);
  const retired = RETIRED_SEARCH_ATTRIBUTES.filter((name) => known.has(name));
  if (retired.length) await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: [...retired] });
  return retired;
}

/**
 * Registers the case search attributes on an existing namespace (an external cluster;
 * the embedded dev server gets them as start flags). Adds only the missing ones and
 * returns their names.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const known = await knownSearchAttributes(connection, namespace);
  const missing = Object.entries(SEARCH_ATTRIBUTE_DECLARATIONS).filter(([name]) => !known.has(name));
  if (!missing.length) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
  } catch (err) {
    // Another process starting at the same moment registered them first.
    if (grpcCode(err) === GRPC.ALREADY_EXISTS) return [];
    if (grpcCode(err) === GRPC.PERMISSION_DENIED) {
      // Temporal Cloud, for one, manages search attributes only through its own tools.
      const wanted = missing.map(([name, type]) => `${name}=${type}`).join(' ');
      throw new Error(`not allowed to add search attributes to namespace ${namespace}; register them yourself: ${wanted}`, { cause: err });
    }
    throw err;
  }
  return missing.map(([name]) => name);
}
