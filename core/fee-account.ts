/**
 * The state duty of one application (SPEC §4.1): what the current form costs, what was
 * paid, the open invoice and the payments seen. Pure rules; the case commits the entries
 * they return and moves its status and clock around them.
 */
import type { EntryDraft } from './case-model';
import { computeFee, type FeeRule } from './catalogue';
import { addDays } from './deadline-clock';

export interface Invoice {
  id: string;
  amount: number;
  issuedAt: string;
  dueAt: string;
}

/** Total duty for the current form, and what has been paid towards it. */
export interface FeeState {
  amount: number;
  paid: number;
  invoice: Invoice | null;
  invoices: number;
  /** Gateway transaction ids already seen: a payment counts once. */
  transactions: string[];
  assessedAt?: string;
}

export interface Payment {
  invoiceId: string;
  amount: number;
  transactionId: string;
  paidAt: string;
}

export class FeeAccount {
  constructor(
    readonly f: FeeState,
    private readonly caseNumber: string,
    private readonly paymentTermDays: number,
  ) {}

  static open(rule: FeeRule, form: Record<string, unknown>): FeeState {
    return { amount: computeFee(rule, form), paid: 0, invoice: null, invoices: 0, transactions: [] };
  }

  get owed(): number {
    return this.f.amount - this.f.paid;
  }

  /** Something is owed that the open invoice (if any) does not bill. */
  get needsInvoice(): boolean {
    return this.owed > 0 && this.f.invoice?.amount !== this.owed;
  }

  /** The form changed: the duty follows it. */
  reassess(rule: FeeRule, form: Record<string, unknown>): EntryDraft[] {
    const amount = computeFee(rule, form);
    if (amount === this.f.amount) return [];
    this.f.amount = amount;
    return [{ type: 'fee_changed', summary: `State duty recalculated: ${amount} RUB`, data: { amount } }];
  }

  /** The duty corrected on appeal; what was paid beyond it is refunded. */
  correct(amount: number): EntryDraft[] {
    this.f.amount = amount;
    const entries: EntryDraft[] = [{ type: 'fee_changed', summary: `State duty corrected on appeal: ${amount} RUB`, data: { amount } }];
    const overpaid = this.f.paid - amount;
    if (overpaid > 0) {
      this.f.paid = amount;
      entries.push({ type: 'refund_ordered', summary: `${overpaid} RUB overpaid; refund ordered`, data: { amount: overpaid } });
    }
    return entries;
  }

  issueInvoice(amount: number, at: string): EntryDraft {
    const invoice: Invoice = {
      id: `${this.caseNumber}-F${++this.f.invoices}`,
      amount,
      issuedAt: at,
      dueAt: addDays(at, this.paymentTermDays),
    };
    this.f.invoice = invoice;
    this.f.assessedAt = at;
    return {
      type: 'invoice_issued',
      summary: `Invoice ${invoice.id} for ${amount} RUB, due by ${invoice.dueAt.slice(0, 10)}`,
      data: { invoiceId: invoice.id, amount, dueAt: invoice.dueAt },
    };
  }

  /** Nothing is owed any more: the open invoice is void. */
  settle(): void {
    this.f.invoice = null;
  }

  /** The citizen's own deadline does not run while the case is withdrawn. */
  postponeInvoice(byMs: number): void {
    if (this.f.invoice) this.f.invoice.dueAt = new Date(Date.parse(this.f.invoice.dueAt) + byMs).toISOString();
  }

  /**
   * A payment from the gateway: `applied` to the open invoice when it matches and the case
   * waits for it, else recorded to be refunded; a transaction seen before changes nothing.
   */
  receive(p: Payment, awaitingPayment: boolean): { applied: boolean; entry: EntryDraft } | null {
    if (this.f.transactions.includes(p.transactionId)) return null;
    this.f.transactions.push(p.transactionId);
    const invoice = this.f.invoice;
    if (!invoice || invoice.id !== p.invoiceId || p.amount !== invoice.amount || !awaitingPayment) {
      return {
        applied: false,
        entry: {
          type: 'payment_not_applied',
          summary: `Payment ${p.transactionId} does not match an open invoice; to be refunded`,
          data: { invoiceId: p.invoiceId, amount: p.amount },
        },
      };
    }
    this.f.paid += p.amount;
    this.f.invoice = null;
    return {
      applied: true,
      entry: { type: 'paid', summary: `Invoice ${p.invoiceId} paid: ${p.amount} RUB`, data: { invoiceId: p.invoiceId, amount: p.amount } },
    };
  }

  /** The read model's `fee`. */
  view() {
    return { amount: this.f.amount, paid: this.f.paid, invoice: this.f.invoice };
  }
}
