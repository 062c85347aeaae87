/** Tests make their own authority and holders' certificates: the development authority's code. */
export {
  createAuthority as createTestCa,
  issueHolderCertificate as issueTestCertificate,
  type Authority as TestCa,
  type HolderCertificate as TestCertificate,
} from '../../signatures/dev-authority';
