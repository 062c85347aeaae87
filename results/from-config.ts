import type { Config } from '../config';
import { createLocalStorage } from '../documents/local-storage';
import type { DocumentStorage } from '../documents/storage';
import { resultSignerFromConfig, type ResultSigner } from './signing-key';

export interface ResultDocumentDeps {
  storage: DocumentStorage;
  signer: ResultSigner;
  verifyBaseUrl: string;
  pickupOffice: string;
}

/** What issuing result documents needs, as the configuration says (the worker's and the tests' stacks). */
export async function resultDocumentsFromConfig(config: Config): Promise<ResultDocumentDeps> {
  return {
    storage: await createLocalStorage(config.documents.dir),
    signer: await resultSignerFromConfig(config),
    verifyBaseUrl: config.results.verifyBaseUrl,
    pickupOffice: config.results.pickupOffice,
  };
}
