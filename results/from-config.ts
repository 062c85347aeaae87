import type { Config } from '../config';
import type { Db } from '../db/client';
import { documentStorageFromConfig } from '../documents/from-config';
import type { DocumentStorage } from '../documents/storage';
import { resultSignerFromConfig, type ResultSigner } from './signing-key';

export interface ResultDocumentDeps {
  storage: DocumentStorage;
  signer: ResultSigner;
  verifyBaseUrl: string;
  pickupOffice: string;
}

/** What issuing result documents needs, as the configuration says (the worker's and the tests' stacks). */
export async function resultDocumentsFromConfig(config: Config, db: Db): Promise<ResultDocumentDeps> {
  return {
    storage: await documentStorageFromConfig(config, db),
    signer: await resultSignerFromConfig(config),
    verifyBaseUrl: config.results.verifyBaseUrl,
    pickupOffice: config.results.pickupOffice,
  };
}
