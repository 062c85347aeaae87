import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { AccountLevel } from '../core/case-model';
import type { CodeChannel } from '../core/identity';
import { FailureType } from '../core/failures';
import type { Db } from '../db/client';
import { activateAccount, bindCheckedSnils, getAccount, raiseToConfirmed, releasePendingAccount } from '../db/queries/accounts';
import { applyContactChange, getContactChange } from '../db/queries/contact-changes';
import { getIdentitySignature, getIdentitySubmission, queueMessageOnce } from '../db/queries/identity';
import { RegistryAnswerError, type IdentityRegistry, type RegistryAnswer } from '../identity/registry';
import type { Delivery } from '../notifications/deliver';
import type { SignatureVerifier } from '../signatures/verifier';

export interface CodeRequest {
  caseNumber: string;
  /** Distinguishes the codes of one case: a restart issues a new one. */
  messageKey: string;
  accountId: string;
  channel: 'sms' | 'email' | 'letter';
  purpose: string;
  /** The code goes to the address the case asks to change to (kept with the change), not to the account's. */
  toNewContact?: boolean;
}

const digestOf = (secret: string, caseNumber: string, code: string) =>
  createHmac('sha256', secret).update(`${caseNumber}:${code}`).digest('hex');

/**
 * One-time codes: the code goes out through its channel (letters through the outbox) and
 * only its keyed digest comes back to the workflow, so the history holds nothing a reader
 * could replay.
 */
export function createIdentityActivities(db: Db, codeSecret: string, registry: IdentityRegistry, verifier: SignatureVerifier, deliver: Delivery['code']) {
  async function codeRecipient(req: CodeRequest): Promise<string | null | undefined> {
    if (req.toNewContact) return (await getContactChange(db, req.caseNumber))?.address;
    const account = await getAccount(db, req.accountId);
    return { sms: account?.phone, email: account?.email, letter: account?.postalAddress }[req.channel];
  }

  return {
    /** A fresh challenge for the citizen to sign: unpredictable, so a signature cannot be reused. */
    async newChallenge(): Promise<string> {
      return randomBytes(32).toString('base64url');
    },

    /** The signature must verify, by a trusted, unrevoked certificate of this very person. */
    async verifyIdentitySignature(req: { submissionId: string; accountId: string; challenge: string }): Promise<{ ok: boolean; reason?: string }> {
      const submission = await getIdentitySignature(db, req.submissionId);
      if (!submission || submission.accountId !== req.accountId) return { ok: false, reason: 'no such signature submission' };
      const result = await verifier.verify({
        data: Buffer.from(req.challenge),
        signature: Buffer.from(submission.signature, 'base64'),
        certificatePem: submission.certificatePem,
      });
      if (!result.ok) return result;
      const account = await getAccount(db, req.accountId);
      const own = account?.snils?.replace(/\D/g, '');
      if (!own || result.snils !== own) return { ok: false, reason: 'the certificate belongs to another person (SNILS differs)' };
      return { ok: true };
    },

    /**
     * Asks the registries; a failure is transient and retried until they answer, but an
     * answer that is no verdict ends the check (never taken for a match).
     */
    async checkRegistries(caseNumber: string): Promise<RegistryAnswer> {
      const submission = await getIdentitySubmission(db, caseNumber);
      if (!submission) throw ApplicationFailure.nonRetryable(`no identity data for ${caseNumber}`, FailureType.Permanent);
      try {
        return await registry.verify(submission);
      } catch (err) {
        if (err instanceof RegistryAnswerError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Permanent);
        throw err;
      }
    },

    /**
     * Raises the account to standard and binds the verified SNILS to it. One account per
     * person: a SNILS already bound to another account leaves both untouched.
     */
    async grantStandardLevel(req: { caseNumber: string; accountId: string }): Promise<{ granted: boolean; reason?: string }> {
      const outcome = await bindCheckedSnils(db, req);
      if (outcome === 'no_submission') throw ApplicationFailure.nonRetryable(`no identity data for ${req.caseNumber}`, FailureType.Permanent);
      return outcome === 'granted' ? { granted: true } : { granted: false, reason: 'this SNILS is already confirmed for another account' };
    },

    async issueCode(req: CodeRequest): Promise<{ digest: string }> {
      // The address is read here, so it never enters the workflow's history.
      const recipient = await codeRecipient(req);
      if (!recipient) {
        throw ApplicationFailure.nonRetryable(`account has no ${req.channel} address`, FailureType.Permanent);
      }
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      // A retry after the message went out must return the digest of the code already sent.
      const body = await queueMessageOnce(db, {
        caseNumber: req.caseNumber,
        messageKey: req.messageKey,
        channel: req.channel,
        type: req.channel === 'letter' ? 'letter_code' : 'one_time_code',
        accountId: req.accountId,
        recipient,
        subject: req.purpose,
        body: `Код подтверждения: ${code}. ${req.purpose}. Никому не сообщайте код.`,
      });
      const sent = /(\d{6})/.exec(body ?? '')?.[1];
      if (!sent) throw new Error(`outbox message ${req.messageKey} has no code`);
      if (req.channel !== 'letter') await deliver({ caseNumber: req.caseNumber, messageKey: req.messageKey });
      return { digest: digestOf(codeSecret, req.caseNumber, sent) };
    },

    async verifyCode(req: { caseNumber: string; code: string; digest: string }): Promise<boolean> {
      const given = Buffer.from(digestOf(codeSecret, req.caseNumber, req.code), 'hex');
      const expected = Buffer.from(req.digest, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },

    /** Confirmed needs standard first: the person must already be known to the registries. */
    async grantConfirmedLevel(req: { accountId: string }): Promise<{ granted: boolean; reason?: string }> {
      return (await raiseToConfirmed(db, req.accountId)) ? { granted: true } : { granted: false, reason: 'the account is not standard yet' };
    },

    /** The confirmed new e-mail or phone becomes the account's, unless another account took it meanwhile. */
    async applyContactChange(caseNumber: string): Promise<{ applied: boolean }> {
      const outcome = await applyContactChange(db, caseNumber);
      if (outcome === 'missing') throw ApplicationFailure.nonRetryable(`no contact change for ${caseNumber}`, FailureType.Permanent);
      return { applied: outcome === 'applied' };
    },

    /** The confirmed registration's account becomes active, unless another account confirmed its phone or e-mail first. */
    /** `confirmed`: the channel whose code was entered; the other contact is not kept (registrations before it keep both). */
    async activateAccount(req: { accountId: string; level: AccountLevel; confirmed?: CodeChannel }): Promise<{ activated: boolean }> {
      return { activated: (await activateAccount(db, req.accountId, req.level, req.confirmed)) === 'activated' };
    },

    /** A registration that ended unconfirmed gives up its phone and e-mail, for their owner to register; again: nothing. */
    async releasePendingAccount(req: { accountId: string }): Promise<void> {
      await releasePendingAccount(db, req.accountId);
    },
  };
}
