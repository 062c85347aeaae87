import path from 'node:path';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { createLocalStorage } from './local-storage';
import { createPostgresStorage } from './postgres-storage';
import type { DocumentStorage } from './storage';

/** The document store DOCUMENT_STORE names, for the API and the worker alike (results are documents too). */
export function documentStorageFromConfig(config: Config, db: Db): Promise<DocumentStorage> {
  const { store, dir } = config.documents;
  return store === 'postgres' ? createPostgresStorage(db, path.join(dir, '.staging')) : createLocalStorage(dir);
}
