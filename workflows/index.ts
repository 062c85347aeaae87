/** Every workflow type the worker registers. */
export { applicationWorkflow } from './application';
export { registrationWorkflow } from './identity-registration';
export { contactChangeWorkflow } from './identity-contact-change';
export { standardUpgradeWorkflow } from './identity-standard';
export { confirmedUpgradeWorkflow } from './identity-confirmed';
export { appealWorkflow } from './appeal';
export { eptsChangeWorkflow } from './epts-change';
