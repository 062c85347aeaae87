import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

const { IndexedValueType } = proto.temporal.api.enums.v1;
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../workflows/machinery/search-attributes';

const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/**
 * Registers the case search attributes on an existing namespace (an external cluster;
 * the embedded dev server gets them as start flags). Adds only the missing ones.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTE_DECLARATIONS).filter(([name]) => !known.has(name));
  if (missing.length) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
  }
  return missing.map(([name]) => name);
}
